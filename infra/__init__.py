"""Deployment as code: the AWS CDK app and Dockerfiles."""
