# Two commands on a fresh machine: `make run` (the default experiment) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= configs/quickstart.yaml
SHARED_DATA ?= ../shared/data
ARCHIVE := $(SHARED_DATA)/20news-bydate.tar.gz

# Offline machines (CI, ours) read 20 Newsgroups from the shared archive, imported
# once into a git-ignored data home; elsewhere scikit-learn downloads it as usual.
ifneq ($(wildcard $(ARCHIVE)),)
export SCIKIT_LEARN_DATA := $(CURDIR)/.cache/scikit_learn_data
DATA := $(SCIKIT_LEARN_DATA)/20news-bydate_py3.pkz
endif

# Models for the sentence-embedding featurizer: the shared MiniLM archive, installed once.
export MTL_MODELS ?= $(CURDIR)/.cache/models
MODEL_ARCHIVE := $(SHARED_DATA)/all-MiniLM-L6-v2.tar.gz
MODEL := $(MTL_MODELS)/all-MiniLM-L6-v2/modules.json

.PHONY: run test install install-embed bench docs clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# The embed extra (sentence-transformers), with torch's CPU build first: `make install-embed TORCH=torch`
# for the default build (CUDA on Linux, several GB).
TORCH ?= torch==2.13.0
install-embed: $(VENV)/.embed

$(VENV)/.embed: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet '$(TORCH)'
	$(BIN)/python -m pip install --quiet -e '.[dev,embed]'
	touch $@

$(MODEL): | $(VENV)/.installed
	$(BIN)/mtl data import $(MODEL_ARCHIVE)

$(DATA): | $(VENV)/.installed
	mkdir -p $(dir $@)
	$(BIN)/mtl data import $(ARCHIVE) --data-home $(dir $@)

run: $(VENV)/.installed $(DATA)
	$(BIN)/mtl train $(CONFIG)
	$(BIN)/mtl plot

test: $(VENV)/.installed $(DATA)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

# Time the runner, the solvers, the meta-learners, the encoder and the bad-input contract on this machine
# (each script writes runs/benchmarks/<name>.md), then rewrite docs/benchmarks.md's tables.
bench: $(VENV)/.embed $(DATA) $(MODEL)
	$(BIN)/python benchmarks/bench_runner.py --repeats 7
	$(BIN)/python benchmarks/bench_side_by_side.py
	$(BIN)/python benchmarks/runner_timeline.py
	$(BIN)/python benchmarks/bench_shared_w.py --repeats 7
	$(BIN)/python benchmarks/bench_meta.py
	$(BIN)/python benchmarks/bench_embeddings.py
	$(BIN)/python benchmarks/bench_bad_inputs.py
	$(BIN)/python docs/update_tables.py docs/benchmarks.md

# Rewrite the measured tables of the README and docs/ from the runs that make them (about 25 minutes with every cache cold).
DOC_CONFIGS := quickstart synthetic newsgroups-20way newsgroups-20way-clean newsgroups-mtl \
	newsgroups-meta-holdout newsgroups-fewshot newsgroups-fewshot-lsa newsgroups-fewshot-embed newsgroups-mtl-embed amazon-mtl \
	reuters-mtl reuters-fewshot
AMAZON := $(SCIKIT_LEARN_DATA)/mtl_amazon_sentiment/processed_acl/kitchen/positive.review
$(AMAZON): | $(VENV)/.installed
	$(BIN)/mtl data import $(SHARED_DATA)/processed_acl-labeled.tar.gz
REUTERS := $(SCIKIT_LEARN_DATA)/mtl_reuters/reuters.zip
$(REUTERS): | $(VENV)/.installed
	$(BIN)/mtl data import $(SHARED_DATA)/reuters.zip

# Each few-shot run is compared with inductive, transductive and centred transductive prototypes.
FEWSHOT_COMPARED := newsgroups-fewshot-lsa newsgroups-fewshot-embed reuters-fewshot
FEWSHOT_BASELINES := --baseline prototypes --baseline "prototypes[transductive=True]" \
	--baseline "prototypes[center=True,metric=within-class,transductive=True]"

docs: $(VENV)/.embed $(DATA) $(MODEL) $(AMAZON) $(REUTERS)
	for config in $(DOC_CONFIGS); do $(BIN)/mtl train configs/$$config.yaml -q || exit 1; done
	$(BIN)/mtl compare runs/quickstart --baseline single-task > /dev/null
	$(BIN)/mtl compare runs/newsgroups-mtl --baseline "shared-w-cv[penalty=none]" > /dev/null
	for run in $(FEWSHOT_COMPARED); do $(BIN)/mtl compare runs/$$run $(FEWSHOT_BASELINES) > /dev/null || exit 1; done
	$(BIN)/mtl compare runs/amazon-mtl --baseline pooled > /dev/null
	$(BIN)/mtl compare runs/reuters-mtl --baseline "shared-w-cv[loss=squared_hinge,penalty=none]" --metric f1 > /dev/null
	$(BIN)/python benchmarks/sharing/make_user_csv.py
	$(BIN)/mtl train benchmarks/sharing/user-csv-mtl.yaml -q
	$(BIN)/python benchmarks/sharing/report.py > /dev/null
	$(BIN)/python benchmarks/fewshot_lsa_dims.py > /dev/null
	$(BIN)/python benchmarks/fewshot_centering.py > /dev/null
	$(BIN)/python benchmarks/fewshot_balanced.py > /dev/null
	$(BIN)/python docs/update_tables.py README.md docs/meta-learning.md docs/shared-w.md

clean:
	rm -rf $(VENV) .cache .pytest_cache
