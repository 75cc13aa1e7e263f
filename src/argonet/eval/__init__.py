"""argonet.eval"""
