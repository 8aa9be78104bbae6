"""Gateway and interface VPC endpoints, so private nodes reach AWS APIs without the NAT."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

_GATEWAY_SERVICES = {
    "s3": ec2.GatewayVpcEndpointAwsService.S3,
    "dynamodb": ec2.GatewayVpcEndpointAwsService.DYNAMODB,
}


class VpcEndpoints(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        gateway_services: list[str],
        interface_services: list[str],
        subnets: ec2.SubnetSelection,
        security_group: ec2.ISecurityGroup | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.gateway = {
            name: vpc.add_gateway_endpoint(_construct_id(name), service=_GATEWAY_SERVICES[name])
            for name in gateway_services
        }
        self.interface = {
            name: vpc.add_interface_endpoint(
                _construct_id(name),
                # the service name suffix after com.amazonaws.<region>.
                service=ec2.InterfaceVpcEndpointAwsService(name),
                subnets=subnets,
                security_groups=[security_group] if security_group else None,
                private_dns_enabled=True,
                open=False,  # the endpoint SG decides who may connect
            )
            for name in interface_services
        }


def _construct_id(service: str) -> str:
    return "".join(part.capitalize() for part in service.replace("-", ".").split("."))
