"""Azure DR companion: builds the Azure DR footprint as one ARM template and deploys it.

``footprint`` builds the template from the configuration (no Azure SDK), ``client`` talks to
Azure Resource Manager through the SDK, ``cli`` is ``python -m azure_dr``.
"""
