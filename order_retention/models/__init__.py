# retention cycle
from . import mail_activity
from . import res_config_settings
from . import res_partner
from . import sale_order
# call log
# quotation hygiene
