"""Acknowledged findings of the compute tier."""

from __future__ import annotations

from aws_cdk import Stack

from infra.constructs.cluster_controllers import ClusterControllers
from infra.nag.acknowledge import acknowledge, child

# AWS-managed policies that EKS documents as the permissions of each role; AWS updates them with
# new EKS releases, which a copy would silently miss. Acknowledged per policy (granular id) on
# the one role that carries it, so any other managed policy added later is still reported.
_MANAGED_POLICIES = {
    "Eks/ClusterRole": {
        "AmazonEKSClusterPolicy": "The EKS control plane role needs AmazonEKSClusterPolicy: "
        "EKS's documented minimum for managing the cluster's ENIs and load balancers.",
    },
    "Eks/EbsCsiRole": {
        "service-role/AmazonEBSCSIDriverPolicy": "Only the EBS CSI controller's service account "
        "assumes this role (EKS Pod Identity); the AWS policy tag-conditions its volume actions.",
    },
    "NodeGroups/NodeRole": {
        "AmazonEKSWorkerNodePolicy": "kubelet on managed nodes needs AmazonEKSWorkerNodePolicy "
        "(describe calls to join the cluster), as EKS documents for the node role.",
        "AmazonEKS_CNI_Policy": "The VPC CNI on every node assigns pod addresses through "
        "AmazonEKS_CNI_Policy; EKS documents it for the node role.",
        "AmazonEC2ContainerRegistryPullOnly": "Nodes pull images (EKS add-ons, our images) "
        "from ECR; PullOnly is the narrowest AWS registry policy.",
    },
}


# The kubectl provider is aws-cdk-lib's own (aws_eks_v2): its Lambdas, roles and log groups are
# built inside the library, which exposes no props for them.
_KUBECTL = "Eks/Cluster/KubectlProvider"
_KUBECTL_REASON = (
    "aws-cdk-lib's kubectl provider (aws_eks_v2) builds this itself without props for it; it "
    "only runs during deployments (CloudFormation custom resources, retried by CloudFormation)."
)
_KUBECTL_FINDINGS = {
    "Handler/ServiceRole/Resource": [
        f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{policy}]"
        for policy in (
            "AmazonEC2ContainerRegistryReadOnly",
            "service-role/AWSLambdaBasicExecutionRole",
            "service-role/AWSLambdaVPCAccessExecutionRole",
        )
    ]
    + [
        # ECR Public read, added by the library under a condition of its own.
        'AwsSolutions-IAM4[Policy::{"Fn::If":["EksClusterKubectlProviderHandlerHasEcrPublicC426D1A5",'
        '{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},'
        '":iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly"]]},{"Ref":"AWS::NoValue"}]}]'
    ],
    "Provider/framework-onEvent/ServiceRole/Resource": [
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]",
    ],
    "Handler/ServiceRole/DefaultPolicy/Resource": ["NIST.800.53.R5-IAMNoInlinePolicy"],
    "Provider/framework-onEvent/ServiceRole/DefaultPolicy/Resource": [
        "NIST.800.53.R5-IAMNoInlinePolicy",
        "AwsSolutions-IAM5[Resource::<EksClusterKubectlProviderHandlerDA75FB7A.Arn>:*]",
    ],
    "Handler/LogGroup/Resource": ["NIST.800.53.R5-CloudWatchLogGroupEncrypted"],
    "Provider/framework-onEvent/LogGroup/Resource": ["NIST.800.53.R5-CloudWatchLogGroupEncrypted"],
    "Handler/Resource": [
        "AwsSolutions-L1",
        "NIST.800.53.R5-LambdaConcurrency",
        "NIST.800.53.R5-LambdaDLQ",
        "Serverless-LambdaDLQ",
        "Serverless-LambdaLatestVersion",
        "Serverless-LambdaTracing",
    ],
    "Provider/framework-onEvent/Resource": [
        "NIST.800.53.R5-LambdaConcurrency",
        "NIST.800.53.R5-LambdaDLQ",
        "Serverless-LambdaDLQ",
        "Serverless-LambdaDefaultMemorySize",
        "Serverless-LambdaTracing",
    ],
}
_DESCRIBE_REASON = (
    "Describe/List calls of EC2, ELB and Auto Scaling have no resource-level permissions "
    "(Resource must be *); they are read-only."
)


def _acknowledge_controllers(stack: Stack) -> None:
    for path, rules in _KUBECTL_FINDINGS.items():
        for rule in rules:
            acknowledge(child(stack, f"{_KUBECTL}/{path}"), rule, _KUBECTL_REASON)
    acknowledge(
        child(stack, "Controllers/LoadBalancerControllerPolicy/Resource"),
        "AwsSolutions-IAM5[Resource::*]",
        _DESCRIBE_REASON + " Registration is limited to the ALB's one target group.",
    )
    autoscaler = child(stack, "Controllers/ClusterAutoscalerPolicy/Resource")
    acknowledge(
        autoscaler,
        "AwsSolutions-IAM5[Resource::*]",
        _DESCRIBE_REASON + " Scaling calls are conditioned on the ASG tag EKS sets for this "
        "cluster (k8s.io/cluster-autoscaler/<cluster>=owned).",
    )
    controllers = stack.node.find_child("Controllers")
    assert isinstance(controllers, ClusterControllers)
    acknowledge(
        autoscaler,
        f"AwsSolutions-IAM5[Resource::{controllers.nodegroup_arns}]",
        "eks:DescribeNodegroup on this cluster's node groups only (name and id vary); it reads "
        "the labels and taints the autoscaler needs to scale a group from its minimum.",
    )


def acknowledge_findings(stack: Stack, *, deletion_protection: bool) -> None:
    _acknowledge_controllers(stack)
    for path, policies in _MANAGED_POLICIES.items():
        for policy, reason in policies.items():
            acknowledge(
                child(stack, f"{path}/Resource"),
                f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{policy}]",
                reason,
            )

    log_bucket = child(stack, "Ingress/AccessLogs/Resource")
    for rule in ("AwsSolutions-S1", "NIST.800.53.R5-S3BucketLoggingEnabled"):
        acknowledge(
            log_bucket,
            rule,
            "This bucket is itself a log destination (ALB access logs); logging its own "
            "accesses into another bucket would only move the question one bucket further.",
        )
    acknowledge(
        log_bucket,
        "NIST.800.53.R5-S3DefaultEncryptionKMS",
        "Elastic Load Balancing delivers access logs only to buckets encrypted with SSE-S3 "
        "(AES-256); a KMS default key makes log delivery fail. TLS is enforced on the bucket.",
    )
    acknowledge(
        log_bucket,
        "NIST.800.53.R5-S3BucketReplicationEnabled",
        "Regional ALB access logs describe that region's load balancer only; each region keeps "
        "its own, and losing a region's logs with the region is accepted (no DR value).",
    )
    acknowledge(
        child(stack, "Ingress/LoadBalancer/HttpRedirect/Resource"),
        "NIST.800.53.R5-ELBv2ACMCertificateRequired",
        "The plain-HTTP listener serves no content: its only action is a permanent redirect to "
        "the HTTPS listener, which uses the ACM certificate.",
    )
    if not deletion_protection:
        acknowledge(
            child(stack, "Ingress/LoadBalancer/Resource"),
            "NIST.800.53.R5-ELBDeletionProtectionEnabled",
            "deletion_protection is off in this environment's config (development/staging tear "
            "down freely); production turns it on and this acknowledgment is then not made.",
        )


def acknowledge_operator_host(stack: Stack) -> None:
    """The Session Manager host (only where ``operator_access.session_manager_host`` is on)."""
    host = "PrivateApi/Host/Resource"
    acknowledge(
        child(stack, "PrivateApi/HostRole/Resource"),
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
        "AmazonSSMManagedInstanceCore]",
        "AmazonSSMManagedInstanceCore is AWS's documented policy for the SSM Agent of a Session "
        "Manager managed instance; AWS keeps it in step with the agent's API calls.",
    )
    acknowledge(
        child(stack, "PrivateApi/HostPolicy/Resource"),
        "AwsSolutions-IAM5[Resource::<PrivateApiSessionLogsA867E895.Arn>:log-stream:*]",
        "The SSM Agent names one log stream per session at run time; the wildcard covers the "
        "streams of this one encrypted session log group only.",
    )
    acknowledge(
        child(stack, host),
        "AwsSolutions-EC29",
        "A stateless relay for port-forwarding sessions, rebuilt from the template: neither "
        "termination protection nor an Auto Scaling group protects anything of value.",
    )
    acknowledge(
        child(stack, host),
        "NIST.800.53.R5-EC2InstancesInVPC",
        "The instance is in a management subnet of the VPC; its SubnetId is a cross-stack "
        "reference to the network stack that the rule cannot resolve at synth.",
    )
