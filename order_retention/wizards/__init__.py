# retention cycle
from . import retention_backtest
# call log
# quotation hygiene
