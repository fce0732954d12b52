from . import res_config_settings
from . import retention_cycle
from . import res_partner
