# The two commands of the README, and the tooling around them. Every target runs with the interpreter
# $PYTHON (default python3; scripts/lib.sh), e.g. `PYTHON=/path/to/venv/bin/python make test`.
.PHONY: demo test bench lint wheel check-wheel pot check-pot readme
demo:   ## start Odoo with demo data on an embedded default database (localhost:8069)
	bash scripts/demo.sh
test:   ## run every test (engine, ORM, browser tours, bridges, wheel); ends with "N passed, N failed"
	bash scripts/run_tests.sh
bench:  ## benchmark the engine and the daily cycle at scale; prints its figures
	bash scripts/bench.sh
lint:   ## ruff check + ruff format --check + pylint-odoo mandatory checks (any violation fails)
	bash scripts/lint.sh
wheel:  ## build the odoo-addon-* wheels of every addon into dist/ (whool)
	bash scripts/build_wheels.sh dist
check-wheel:  ## build the wheels, install them into a throwaway --target and check that Odoo finds the addons there
	bash scripts/check_wheel.sh
pot:    ## export order_retention/i18n/order_retention.pot from an installed module (odoo --i18n-export)
	bash scripts/i18n_pot.sh
check-pot:  ## fail when the committed .pot is stale
	bash scripts/i18n_pot.sh --check
readme: ## regenerate each addon's README.rst from its readme/*.md fragments (with $PYTHON, see scripts/lib.sh)
	bash -c 'source scripts/lib.sh && exec "$$PY" scripts/gen_addon_readme.py'
