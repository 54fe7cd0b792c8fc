"""Tool groups; each module registers its tools on a server for one Orchestra app."""
