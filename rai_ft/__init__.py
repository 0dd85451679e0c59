"""rai-ft: fine-tune transformer models under guard and audit them before they ship."""

__version__ = "0.1.0"
SCHEMA_VERSION = "1.0"

__all__ = ["__version__", "SCHEMA_VERSION"]
