# retention cycle
from . import retention_backtest

# call log
from . import base_partner_merge
from . import mail_activity_retention_override
from . import mail_activity_retention_outcome
from . import retention_call_import

# quotation hygiene
from . import sale_order_cancel
from . import sale_order_retention_duplicate
