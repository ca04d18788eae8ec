package dev.safeguard.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.safeguard.rules.Decision;
import dev.safeguard.rules.ObjectTree;
import dev.safeguard.rules.Policy;
import dev.safeguard.rules.PolicyEngine;
import dev.safeguard.rules.RelatedObjects;
import dev.safeguard.rules.RuleCompiler;
import dev.safeguard.rules.RuleLoader;
import dev.safeguard.rules.Subject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What the background audit reports: findings of one object, and a namespace's report document with its cap. */
class AuditReportTest {

    static Policy policy;

    @BeforeAll
    static void loadPack() throws Exception {
        policy = Policy.builtIn(new RuleLoader(new RuleCompiler()).loadBuiltInPack());
    }

    static Map<String, Object> careless(String name, String annotations) throws Exception {
        return ObjectTree.of(new YAMLMapper().readTree("""
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: %s
                  namespace: shop
                  uid: uid-%s
                  annotations: {%s}
                spec:
                  replicas: 3
                  selector: {matchLabels: {app: api}}
                  template:
                    metadata: {labels: {app: api}}
                    spec:
                      containers: [{name: api, image: shop/api:latest}]
                """.formatted(name, name, annotations)));
    }

    static List<AuditReport.Finding> findings(Map<String, Object> object) {
        Decision decision = new PolicyEngine().decide(policy, Subject.ofObject(object), RelatedObjects.NONE);
        return AuditReport.findings(decision, object);
    }

    @Test
    void eachViolationIsAResultWithItsSeverityFromTheActionAndAnExemptionIsASkip() throws Exception {
        List<AuditReport.Finding> findings = findings(careless("api",
                "safeguard.dev/exempt: image-tag, safeguard.dev/exempt-reason: pinned by the release pipeline"));

        AuditReport.Finding spread = findings.stream().filter(f -> f.rule().equals("replicas-spread")).findFirst().orElseThrow();
        assertThat(spread.result()).isEqualTo("fail");
        assertThat(spread.severity()).isEqualTo("high");
        assertThat(spread.category()).isEqualTo("reliability");
        assertThat(spread.resource()).containsEntry("kind", "Deployment").containsEntry("name", "api")
                .containsEntry("namespace", "shop").containsEntry("uid", "uid-api");
        AuditReport.Finding memory = findings.stream().filter(f -> f.rule().equals("memory-limits")).findFirst().orElseThrow();
        assertThat(memory.result()).isEqualTo("warn");
        assertThat(memory.severity()).isEqualTo("medium");
        AuditReport.Finding exempt = findings.stream().filter(f -> f.rule().equals("image-tag")).findFirst().orElseThrow();
        assertThat(exempt.result()).isEqualTo("skip");
        assertThat(exempt.message()).isEqualTo("exempt (safeguard.dev/exempt): pinned by the release pipeline");
    }

    @Test
    void aNamespaceReportListsAtMostTheCapMostSevereFirstAndCountsEverything() throws Exception {
        List<AuditReport.TimedFinding> timed = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            for (AuditReport.Finding finding : findings(careless("api-" + i, ""))) {
                timed.add(new AuditReport.TimedFinding(finding, Instant.ofEpochSecond(1_790_000_000L + i)));
            }
        }
        long fails = timed.stream().filter(t -> t.finding().result().equals("fail")).count();
        long warns = timed.stream().filter(t -> t.finding().result().equals("warn")).count();

        Map<String, Object> report = AuditReport.document(AuditReport.Format.POLICYREPORT, "shop", "platform", "payments", timed,
                42, 100);

        assertThat(report).containsEntry("apiVersion", "wgpolicyk8s.io/v1alpha2").containsEntry("kind", "PolicyReport");
        assertThat(ObjectTree.string(report, "metadata", "name")).isEqualTo("kube-safeguard");
        assertThat(ObjectTree.string(report, "metadata", "namespace")).isEqualTo("shop");
        assertThat(ObjectTree.map(report, "metadata", "labels")).containsEntry(AuditReport.TEAM_LABEL, "payments");
        assertThat(ObjectTree.map(report, "summary")).containsEntry("pass", 42L).containsEntry("fail", fails)
                .containsEntry("warn", warns).containsEntry("error", 0L).containsEntry("skip", 0L);
        List<Object> results = ObjectTree.list(report, "results");
        assertThat(results).hasSize(100);
        assertThat(ObjectTree.string(report, "metadata", "annotations", AuditReport.TRUNCATED_ANNOTATION))
                .startsWith("listing 100 of " + timed.size() + " results");
        @SuppressWarnings("unchecked")
        Map<String, Object> first = (Map<String, Object>) results.get(0);
        assertThat(first).containsEntry("source", "kube-safeguard").containsEntry("policy", "platform")
                .containsEntry("severity", "high").containsEntry("result", "fail");
        assertThat(ObjectTree.map(first, "timestamp")).containsKey("seconds");
        assertThat(results).allSatisfy(result -> assertThat(ObjectTree.string(cast(result), "severity"))
                .isIn("high", "medium"));
    }

    @Test
    void aSmallNamespaceIsListedWholeAndOpenReportsHaveTheirOwnKinds() throws Exception {
        List<AuditReport.TimedFinding> timed = findings(careless("api", "")).stream()
                .map(finding -> new AuditReport.TimedFinding(finding, Instant.EPOCH)).toList();

        Map<String, Object> report = AuditReport.document(AuditReport.Format.OPENREPORTS, "shop", "platform", "", timed, 0, 1000);
        Map<String, Object> cluster = AuditReport.document(AuditReport.Format.OPENREPORTS, null, "platform", "", timed, 0, 1000);

        assertThat(report).containsEntry("apiVersion", "openreports.io/v1alpha1").containsEntry("kind", "Report");
        assertThat(ObjectTree.list(report, "results")).hasSize(timed.size());
        assertThat(ObjectTree.map(report, "metadata")).doesNotContainKey("annotations");
        assertThat(cluster).containsEntry("kind", "ClusterReport");
        assertThat(ObjectTree.map(cluster, "metadata")).doesNotContainKey("namespace");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> cast(Object value) {
        return (Map<String, Object>) value;
    }
}
