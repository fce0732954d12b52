# The two commands of the README.
.PHONY: demo test bench
demo:   ## start Odoo with demo data on an embedded default database (localhost:8069)
	bash scripts/demo.sh
test:   ## run every test (engine, ORM, browser tours); ends with "N passed, N failed"
	bash scripts/run_tests.sh
bench:  ## benchmark the engine and the daily cycle at scale; prints its figures
	bash scripts/bench.sh
