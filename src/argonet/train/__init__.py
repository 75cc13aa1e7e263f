"""argonet.train"""
