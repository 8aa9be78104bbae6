"""Rotation Lambda of the edge's origin secret (``fdr/<env>/edge/origin-header``).

The secret is ``{"current": ..., "previous": ...}``. CloudFront sends ``current`` as the origin
header; every ALB listener rule that checks the header accepts ``current`` and ``previous``. The
CloudFormation templates read the same two keys (dynamic references), so whatever a later deploy
re-resolves matches what this function has set.

Secrets Manager calls the four steps in order with the same ``ClientRequestToken`` and retries the
whole rotation when a step fails, so every step is idempotent (it looks before it writes):

1. ``createSecret``: the pending version (AWSPENDING) is ``{"current": new, "previous": old
   current}``. The first rotation of a secret that has no ``previous`` yet (the schedule rotates
   once when it is created) keeps ``current`` and adds a random ``previous`` that nobody sends:
   nothing outside the secret changes, and the compute stacks can then read both keys.
2. ``setSecret``: every distribution must already send the old current value and be Deployed
   (a value an earlier rotation superseded is about to stop being accepted; a distribution that
   does not send the current value is set to it, and the step fails until it is deployed). Then
   every listener rule, in every ALB region, accepts exactly the new and the old value.
3. ``testSecret``: every listener rule, read back, accepts both values.
4. ``finishSecret``: AWSCURRENT moves to the new version, then (after
   ``rule_settle_seconds``, since listener rule changes reach the load balancer nodes after a
   short delay) every distribution sends the new value, read back.

CloudFront is changed last, after the label moves, on purpose: at every moment what the templates
resolve (AWSCURRENT) is accepted by what is deployed. Before the move a deploy sets CloudFront to
the old value and the rules to old+older, while CloudFront still sends old; after it, a deploy sets
CloudFront to new and the rules to new+old. If the distributions were updated first and the
rotation then stopped, a compute deploy would set the rules back to old+older while CloudFront
sends new: every request refused.

The old value stays accepted until the next rotation, so CloudFront's propagation (edge locations
switch to the new value over minutes) needs no wait here: requests carrying either value pass.
The next rotation drops it only once every distribution is Deployed with the value that replaced
it. A failure at any step leaves the old value working everywhere: the rules accept it until the
next successful rotation, and CloudFront sends it until step 4.

The function never logs or returns a header value; it reports regions, rule ARNs, distribution ids
and version ids.
"""
