"""argonet.sim"""
