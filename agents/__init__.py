"""Cocreate over the Model Context Protocol: tools and resources for agents acting for
a person, with that person's API token and within the REST API's rules."""
