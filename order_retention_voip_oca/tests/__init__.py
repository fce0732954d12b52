from . import test_voip_oca
