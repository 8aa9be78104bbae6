from infra.naming import Names

NAMES = Names("fdr", "production")


def test_stack_ids_and_aliases():
    assert NAMES.stack_id("network", "us-east-1") == "fdr-production-network-us-east-1"
    assert NAMES.kms_alias("database") == "alias/fdr-production-database"


def test_physical_names_fit_aws_limits():
    longest_region = "ap-southeast-1"
    assert len(NAMES.redis_group_id(longest_region)) <= 40
    assert len(NAMES.database_identifier(longest_region)) <= 63
    assert len(NAMES.data_bucket("333333333333", longest_region)) <= 63
    assert len(NAMES.access_log_bucket("333333333333", longest_region)) <= 63
    assert len(NAMES.cluster_name(longest_region)) <= 100
    assert NAMES.ssm_parameter("ingress", "alb-dns-name") == "/fdr/production/ingress/alb-dns-name"
