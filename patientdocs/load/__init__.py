"""Loading the inputs: the clinic's settings, the treatment content, the visit."""
