"""argonet.tasks"""
