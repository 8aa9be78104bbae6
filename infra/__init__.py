"""fdr-infra: the AWS CDK app of the Free Deep Research System and its shared configuration."""
