"""argonet.data"""
