"""``mtl data import``: recognise an archive by what it holds and install it where its reader looks."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

from .errors import DataError, first_line

KNOWN = ("the official 20news-bydate.tar.gz, processed_acl-labeled.tar.gz (Amazon sentiment), NLTK's reuters.zip "
         "or a .tar.gz of one sentence-transformers model folder")


def members_of(archive: Path) -> list[str]:
    if not archive.is_file():
        raise DataError(f"{archive}: no such file; expected {KNOWN}")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            return tar.getnames()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise DataError(f"{archive}: not a readable .tar.gz archive ({first_line(exc)})") from None


def import_archive(archive: str | Path, data_home: str | None = None, models_home: str | None = None) -> Path:
    """Install ``archive``; return the path written. Datasets go to scikit-learn's data home, a model
    folder to the models home (see ``embeddings.models_home``)."""
    archive = Path(archive)
    if archive.is_file() and zipfile.is_zipfile(archive):
        from .data.reuters import import_archive as import_reuters, is_reuters_zip

        if is_reuters_zip(archive):
            return import_reuters(archive, data_home)
        raise DataError(f"{archive}: a .zip without reuters/cats.txt; expected {KNOWN}")
    members = members_of(archive)
    if any(name.startswith("20news-bydate-") for name in members):
        from .data.newsgroups import import_archive as import_newsgroups

        return import_newsgroups(archive, data_home)
    from .data.amazon import import_archive as import_amazon, is_processed_acl

    if is_processed_acl(members):
        return import_amazon(archive, data_home)
    if any(Path(name).name in ("modules.json", "config_sentence_transformers.json") for name in members):
        from .embeddings import install_model

        return install_model(archive, members, None if models_home is None else Path(models_home))
    raise DataError(f"{archive}: holds no dataset or model mtl knows; expected {KNOWN}")
