"""argonet.viz"""
