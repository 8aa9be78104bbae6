"""The diff engine on hand-written templates: what counts as a change, a replacement, a
security-relevant change, and the exit status the CLI derives from them."""

from __future__ import annotations

from tests.tools.templates import STACK, template
from tools.template_diff.__main__ import exit_status
from tools.template_diff.engine import Action, compare_templates


def _diff(mutate):
    head = template()
    mutate(head["Resources"])
    return compare_templates({STACK: template()}, {STACK: head})


def _only(report):
    (change,) = report.changes
    return change


def test_identical_templates_report_no_change():
    report = compare_templates({STACK: template()}, {STACK: template()})
    assert not report.changed
    assert exit_status(report, fail_on_replace=True) == 0


def test_metadata_alone_is_not_a_change():
    report = _diff(lambda r: r["Logs"]["Metadata"].update({"aws:cdk:path": "stack/Other"}))
    assert not report.changed


def test_new_database_identifier_replaces_the_database_and_trips_the_guard():
    report = _diff(
        lambda r: r["Database"]["Properties"].update(DBInstanceIdentifier="fdr-test-db2")
    )
    change = _only(report)
    assert change.action is Action.REPLACE
    assert change.replacement == "DBInstanceIdentifier changed"
    assert report.destructive == [change]
    assert exit_status(report, fail_on_replace=False) == 1
    assert exit_status(report, fail_on_replace=True) == 2


def test_resizing_the_database_is_an_update_in_place():
    report = _diff(lambda r: r["Database"]["Properties"].update(AllocatedStorage="50"))
    change = _only(report)
    assert (change.action, change.changed, change.destructive) == (
        Action.MODIFY,
        ("AllocatedStorage",),
        False,
    )
    assert exit_status(report, fail_on_replace=True) == 1


def test_removing_a_bucket_is_destructive():
    report = _diff(lambda r: r.pop("Bucket"))
    assert [(c.logical_id, c.action) for c in report.destructive] == [("Bucket", Action.REMOVE)]


def test_changed_logical_id_of_a_log_group_is_a_replacement():
    report = _diff(lambda r: r.update(LogsV2=r.pop("Logs")))
    change = _only(report)
    assert (change.logical_id, change.action, change.destructive) == (
        "LogsV2",
        Action.REPLACE,
        True,
    )
    assert "logical id changed from Logs" in change.replacement


def test_added_inline_ingress_rule_is_security_relevant():
    def open_ssh(resources):
        resources["DbSecurityGroup"]["Properties"]["SecurityGroupIngress"].append(
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}
        )

    change = _only(_diff(open_ssh))
    assert change.security == ("+ ingress tcp 22 from 0.0.0.0/0",)
    assert not change.destructive


def test_added_ingress_resource_is_security_relevant():
    def allow_app(resources):
        resources["DbFromApp"] = {
            "Type": "AWS::EC2::SecurityGroupIngress",
            "Properties": {
                "GroupId": {"Fn::GetAtt": ["DbSecurityGroup", "GroupId"]},
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "SourceSecurityGroupId": {"Fn::GetAtt": ["AppSecurityGroup", "GroupId"]},
            },
        }

    change = _only(_diff(allow_app))
    assert change.action is Action.ADD
    assert change.security == ("+ ingress tcp 5432 from AppSecurityGroup on DbSecurityGroup",)


def test_key_policy_statements_are_described():
    def grant(resources):
        resources["Key"]["Properties"]["KeyPolicy"]["Statement"].append(
            {
                "Action": ["kms:Decrypt"],
                "Effect": "Allow",
                "Principal": {"Service": "logs.amazonaws.com"},
                "Resource": "*",
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "x"}},
            }
        )

    change = _only(_diff(grant))
    assert change.action is Action.MODIFY
    assert change.security == (
        "+ KeyPolicy: Allow kms:Decrypt on * for Service:logs.amazonaws.com "
        "if kms:EncryptionContext:aws:logs:arn",
    )


def test_changed_type_is_a_replacement():
    report = _diff(lambda r: r["Logs"].update(Type="AWS::Logs::Destination"))
    assert _only(report).action is Action.REPLACE


def test_non_stateful_replacement_comes_from_the_registry_schema():
    report = _diff(lambda r: r["DbSecurityGroup"]["Properties"].update(GroupDescription="new"))
    change = _only(report)
    assert (change.action, change.replacement, change.destructive) == (
        Action.REPLACE,
        "GroupDescription changed",
        False,
    )


def test_added_and_removed_stacks_and_other_sections():
    changed = template()
    changed["Outputs"] = {}
    report = compare_templates({STACK: template(), "old": template()}, {STACK: changed, "new": {}})
    assert [(s.stack, s.status, s.sections) for s in report.stacks] == [
        (STACK, "modified", ("Outputs",)),
        ("new", "added", ()),
        ("old", "removed", ()),
    ]
    assert {c.logical_id for c in report.destructive} == {"Database", "Bucket", "Key", "Logs"}
