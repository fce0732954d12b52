# retention cycle
from . import mail_activity
from . import res_config_settings
from . import res_partner
from . import retention_cycle
from . import retention_cycle_demo
from . import retention_status_history
from . import sale_order
# call log
from . import mail_activity_type
from . import res_company
from . import retention_call
# quotation hygiene
from . import retention_cancel_reason
from . import retention_cancel_report
# salesperson's queue and manager's screens
from . import mail_activity_retention
from . import res_users
from . import retention_call_display
