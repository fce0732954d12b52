# who may do what
from . import retention_policy

# how searchable computed fields read a search term
from . import retention_search

# retention cycle
from . import mail_activity
from . import mail_message
from . import res_config_settings
from . import res_partner
from . import retention_customer
from . import retention_cycle
from . import retention_write_back
from . import retention_fact_cache
from . import retention_cycle_demo
from . import retention_model_run
from . import retention_status_history
from . import sale_order

# call log
from . import mail_activity_type
from . import res_company
from . import retention_call
from . import retention_lost_request
from . import retention_telephony

# quotation hygiene
from . import retention_cancel_reason
from . import retention_cancel_log
from . import retention_cancel_report
from . import retention_cancel_line_report

# why customers leave
from . import retention_churn_reason
from . import retention_churn_report

# salesperson's queue and manager's screens
from . import mail_activity_retention
from . import res_users
from . import retention_call_display

# the queue that fits the team
from . import crm_team_member
from . import res_partner_queue
from . import retention_queue
from . import retention_workload

# exports: no live formula in CSV or XLSX (issue #21)
from . import retention_export
