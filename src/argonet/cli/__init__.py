"""argonet.cli"""
