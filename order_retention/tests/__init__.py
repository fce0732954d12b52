# foundation and retention cycle
from . import test_smoke
# call log
# quotation hygiene
