# foundation and retention cycle
from . import test_smoke
from . import test_tools_cadence
from . import test_tools_cadence_shards
from . import test_tools_cadence_golden
from . import test_tools_rhythm
from . import test_tools_bgnbd
from . import test_tools_churn_model
from . import test_tools_rfm
from . import test_tools_explanations
from . import test_tools_population
from . import test_retention_adapter
from . import test_retention_cycle
from . import test_retention_fact_cache
from . import test_retention_backtest
from . import test_retention_churn
from . import test_tour

# call log
from . import test_retention_call
from . import test_retention_call_endpoint

# telephony out of the box: one intake URL per provider (issue #24)
from . import test_tools_telephony
from . import test_retention_telephony

# quotation hygiene
from . import test_sale_order_cancel
from . import test_tools_quotation_duplicates
from . import test_sale_order_retention_duplicate
from . import test_retention_cancel_report
from . import test_retention_hardening3_orders
from . import test_retention_hardening
from . import test_retention_outcome

# attacks and fuzzing
from . import test_retention_attacks
from . import test_retention_fuzz

# translations (enabled once i18n/uk.po exists)
from . import test_i18n_uk

# the salesperson's queue and the manager's screens
from . import test_res_config_settings
from . import test_retention_screens

# the retention-call queue that fits the team (issue #20)
from . import test_tools_queue_priority
from . import test_retention_queue
from . import test_retention_queue_attacks
from . import test_retention_queue_volume

# hardening, round three (issue #21)
from . import test_retention_hardening3_company
from . import test_retention_hardening3_calls
from . import test_retention_hardening3_intake

# daily screens, round three (issue #22)
from . import test_retention_texts

# daily screens, round three (issue #22): the demo population, the model's status, Why Customers Leave's window
from . import test_retention_demo

# the figures in a model of their own (issue #23): a colleague's customer's figures by no path
from . import test_retention_customer
from . import test_retention_customer_rpc

# the clock and timezone of the run (OR_TEST_NOW / OR_TEST_TZ), applied to every test class above
from .common import hook_test_clock  # noqa: E402

hook_test_clock(__name__)
