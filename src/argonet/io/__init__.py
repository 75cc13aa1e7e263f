"""argonet.io"""
