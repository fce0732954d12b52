# retention cycle
# call log
# quotation hygiene
