"""argonet.models"""
