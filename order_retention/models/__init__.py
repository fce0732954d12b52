# retention cycle
from . import res_config_settings
# call log
# quotation hygiene
