from . import base
from . import retention_cycle
from . import res_partner
