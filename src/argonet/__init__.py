"""argonet: deep learning on particle-detector images, liquid-argon TPCs first."""

__version__ = "0.1.0"
