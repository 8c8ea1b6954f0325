"""jewelrender: physically based jewelry try-on in the customer's own photo."""
__version__ = "0.1.0"
