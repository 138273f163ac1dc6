"""The child-protection network: agencies, roles and how protocol lanes map onto them."""
