package dev.safeguard.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Verdicts that follow ownership, with the built-in pack: what a controller makes from a template its owner was
 * admitted with inherits the owner's standing; a forged, unverifiable or altered copy is judged in full.
 */
class OwnershipTest {

    static final String DAEMON_SET_CONTROLLER = "system:serviceaccount:kube-system:daemon-set-controller";
    static final String REPLICA_SET_CONTROLLER = "system:serviceaccount:kube-system:replicaset-controller";
    static final String DEPLOYMENT_CONTROLLER = "system:serviceaccount:kube-system:deployment-controller";

    static List<CompiledRule> pack;
    final PolicyEngine engine = new PolicyEngine();

    @BeforeAll
    static void loadPack() throws RuleLoadException {
        pack = new RuleLoader(new RuleCompiler()).loadBuiltInPack();
    }

    static Map<String, Object> yaml(String text) throws Exception {
        return ObjectTree.of(new YAMLMapper().readTree(text));
    }

    static Policy policy(Mode mode) {
        return Policy.builtIn(pack).withMode(mode);
    }

    /** A node agent: hostPath and hostNetwork, exempted from both with a reason. */
    static final String POD_SPEC = """
            hostNetwork: true
            containers:
              - name: agent
                image: registry.example.com/agent:2.1.0
                resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 64Mi}}
                readinessProbe: {httpGet: {path: /ready, port: 9100}}
                livenessProbe: {httpGet: {path: /live, port: 9100}}
                securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true}
                volumeMounts: [{name: proc, mountPath: /host/proc, readOnly: true}]
            volumes:
              - name: proc
                hostPath: {path: /proc}
            """;

    static Map<String, Object> daemonSet() throws Exception {
        return yaml(DAEMON_SET.formatted(POD_SPEC.indent(6)));
    }

    static final String DAEMON_SET = """
                apiVersion: apps/v1
                kind: DaemonSet
                metadata:
                  name: node-agent
                  namespace: monitoring
                  uid: ds-uid-1
                  annotations:
                    safeguard.dev/exempt: host-path, host-namespaces
                    safeguard.dev/exempt-reason: reads node metrics from /proc on the node's network
                spec:
                  selector: {matchLabels: {app: node-agent}}
                  template:
                    metadata:
                      labels: {app: node-agent}
                    spec:
                %s
                """;

    /** The Pod the DaemonSet controller makes, after defaulting and the ServiceAccount admission plugin. */
    static Map<String, Object> daemonSetPod(String extraSpec) throws Exception {
        return daemonSetPod("", "", extraSpec);
    }

    /** The same, with containers and volumes (YAML list items at column 0) added before the template's own. */
    static Map<String, Object> daemonSetPod(String extraContainers, String extraVolumes, String extraSpec) throws Exception {
        String spec = POD_SPEC.replace("containers:\n", "containers:\n" + extraContainers.indent(2))
                .replace("volumes:\n", "volumes:\n" + extraVolumes.indent(2))
                .replace("volumeMounts: [{name: proc, mountPath: /host/proc, readOnly: true}]",
                        "volumeMounts: [{name: proc, mountPath: /host/proc, readOnly: true}, "
                                + "{name: kube-api-access-x7k2p, mountPath: /var/run/secrets/kubernetes.io/serviceaccount, readOnly: true}]")
                .replace("volumes:\n", "volumes:\n  - name: kube-api-access-x7k2p\n    projected: {sources: [{serviceAccountToken: {path: token}}]}\n")
                + "nodeName: node-1\nserviceAccountName: default\n"
                + "tolerations: [{key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute}]\n"
                + "affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: "
                + "[{matchFields: [{key: metadata.name, operator: In, values: [node-1]}]}]}}}\n"
                + extraSpec;
        return yaml("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: node-agent-7xk2q
                  namespace: monitoring
                  labels: {app: node-agent, controller-revision-hash: 5c4f8d9b7, pod-template-generation: "1"}
                  ownerReferences:
                    - {apiVersion: apps/v1, kind: DaemonSet, name: node-agent, uid: ds-uid-1, controller: true}
                spec:
                %s
                """.formatted(spec.indent(2)));
    }

    /** A copy of the node agent's Pod whose ownerReference leaves the uid out. */
    static final String DAEMON_POD_WITHOUT_UID = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: node-agent-nouid
              namespace: monitoring
              labels: {app: node-agent}
              ownerReferences: [{apiVersion: apps/v1, kind: DaemonSet, name: node-agent, controller: true}]
            spec:
            %s
            """.formatted(POD_SPEC.indent(2));

    static Subject created(Map<String, Object> object, String username) {
        return new Subject(object, null, "CREATE", "monitoring", Map.of("username", username), false);
    }

    static RelatedObjects cluster(Map<String, Object>... objects) {
        return new InMemoryRelatedObjects(List.of(objects));
    }

    @Test
    void thePodsOfAnExemptedDaemonSetInheritItsExemptionsAndAreAdmitted() throws Exception {
        Decision decision = engine.decide(policy(Mode.ENFORCE), created(daemonSetPod(""), DAEMON_SET_CONTROLLER),
                cluster(daemonSet()));

        assertThat(decision.allowed()).as("denied: %s %s", decision.denied(), decision.notices()).isTrue();
        // The exempted violations, and the audit-level ones the DaemonSet was admitted with.
        assertThat(decision.with(RuleResult.Status.INHERITED)).extracting(RuleResult::ruleId)
                .containsExactlyInAnyOrder("host-path", "host-namespaces", "drop-all-capabilities", "seccomp-profile",
                        "read-only-root-filesystem");
        assertThat(decision.with(RuleResult.Status.INHERITED)).allSatisfy(inherited -> {
            assertThat(inherited.owner().reference()).isEqualTo("DaemonSet monitoring/node-agent");
            assertThat(inherited.owner().topKind()).isEqualTo("DaemonSet");
        });
        assertThat(decision.violations()).extracting(RuleResult::ruleId).doesNotContain("host-path", "host-namespaces");
        assertThat(decision.warningLines()).noneMatch(line -> line.contains("host-path") || line.contains("host-namespaces"));
        assertThat(decision.ownership()).isNull();
    }

    @Test
    void kubeControllerManagerWithSharedCredentialsIsTrustedToo() throws Exception {
        Decision decision = engine.decide(policy(Mode.ENFORCE),
                created(daemonSetPod(""), Ownership.CONTROLLER_MANAGER_USER), cluster(daemonSet()));

        assertThat(decision.allowed()).isTrue();
        assertThat(decision.with(RuleResult.Status.INHERITED)).extracting(RuleResult::ruleId)
                .contains("host-path", "host-namespaces");
    }

    @Test
    void aPersonCreatingAPodWithAForgedOwnerReferenceIsJudgedInFullAndToldWhy() throws Exception {
        Map<String, Object> privileged = yaml("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: totally-node-agent
                  namespace: monitoring
                  ownerReferences:
                    - {apiVersion: apps/v1, kind: DaemonSet, name: node-agent, uid: ds-uid-1, controller: true}
                spec:
                  hostNetwork: true
                  containers:
                    - name: shell
                      image: registry.example.com/agent:2.1.0
                      securityContext: {privileged: true}
                """);

        Decision decision = engine.decide(policy(Mode.ENFORCE), created(privileged, "alice"), cluster(daemonSet()));

        assertThat(decision.allowed()).isFalse();
        assertThat(decision.denied()).extracting(RuleResult::ruleId).contains("privileged", "host-namespaces");
        assertThat(decision.with(RuleResult.Status.INHERITED)).isEmpty();
        assertThat(decision.ownership()).contains("DaemonSet node-agent is named as its controller but not trusted")
                .contains("'alice'").contains(DAEMON_SET_CONTROLLER).contains("judged in full");
    }

    @Test
    void anOwnerThatDoesNotExistOrHasAnotherUidIsNotTrusted() throws Exception {
        Decision missing = engine.decide(policy(Mode.ENFORCE), created(daemonSetPod(""), DAEMON_SET_CONTROLLER),
                cluster());
        assertThat(missing.allowed()).isFalse();
        assertThat(missing.ownership()).contains("was not found");

        Map<String, Object> recreated = yaml(DAEMON_SET.formatted(POD_SPEC.indent(6)).replace("ds-uid-1", "ds-uid-2"));
        Decision otherUid = engine.decide(policy(Mode.ENFORCE), created(daemonSetPod(""), DAEMON_SET_CONTROLLER),
                cluster(recreated));
        assertThat(otherUid.allowed()).isFalse();
        assertThat(otherUid.ownership()).contains("uid ds-uid-2, not ds-uid-1");

        // A request whose ownerReference carries no uid at all earns nothing either.
        Decision noUid = engine.decide(policy(Mode.ENFORCE),
                created(yaml(DAEMON_POD_WITHOUT_UID), DAEMON_SET_CONTROLLER), cluster(daemonSet()));
        assertThat(noUid.allowed()).isFalse();
        assertThat(noUid.ownership()).contains("not null");
    }

    @Test
    void aSidecarInjectedByAMutatingWebhookIsJudgedInFull() throws Exception {
        Map<String, Object> withSidecar = daemonSetPod("""
                - name: mesh-proxy
                  image: registry.example.com/proxy:1.0
                  securityContext: {privileged: true}
                  volumeMounts: [{name: host-root, mountPath: /host}]
                """, """
                - name: host-root
                  hostPath: {path: /}
                """, "");

        Decision decision = engine.decide(policy(Mode.ENFORCE), created(withSidecar, DAEMON_SET_CONTROLLER),
                cluster(daemonSet()));

        assertThat(decision.allowed()).isFalse();
        // The sidecar's own privileged mode, its hostPath volume, its missing probe and requests are not the
        // template's: judged in full.
        assertThat(decision.denied()).extracting(RuleResult::ruleId)
                .containsExactlyInAnyOrder("privileged", "host-path", "readiness-probe", "resource-requests");
        // hostNetwork is the template's, and the DaemonSet is exempted from it.
        assertThat(decision.with(RuleResult.Status.INHERITED)).extracting(RuleResult::ruleId)
                .containsExactly("host-namespaces");
        assertThat(decision.noticeLines()).anyMatch(notice -> notice.startsWith("[host-path] judged in full: volume 'host-root'"));
        assertThat(decision.noticeLines()).contains("[privileged] judged in full: DaemonSet monitoring/node-agent's "
                + "pod template does not have this violation");
    }

    @Test
    void anAddedContainerThatBreaksARuleTheTemplateAlsoBreaksIsFoundEvenWhenTheMessageDoesNotNameIt() throws Exception {
        RuleLoader loader = new RuleLoader(new RuleCompiler());
        CompiledRule terse = loader.load("no-privileged.yaml", """
                id: no-privileged
                title: No privileged containers
                category: security
                action: deny
                match: {kinds: [Pod, DaemonSet]}
                validation: "!containers.exists(c, has(c.securityContext) && has(c.securityContext.privileged) && c.securityContext.privileged)"
                message: "'a container is privileged'"
                """);
        Policy policy = new Policy("test", "v1", Mode.ENFORCE, RuleSet.withDefaults(List.of(terse)), Set.of(), true);
        String privilegedAgent = DAEMON_SET.formatted(POD_SPEC.replace("runAsNonRoot: true}", "privileged: true}").indent(6))
                .replace("host-path, host-namespaces", "no-privileged");
        String podSpec = POD_SPEC.replace("runAsNonRoot: true}", "privileged: true}");
        Map<String, Object> templateOnly = yaml("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: node-agent-7xk2q
                  namespace: monitoring
                  ownerReferences: [{apiVersion: apps/v1, kind: DaemonSet, name: node-agent, uid: ds-uid-1, controller: true}]
                spec:
                %s
                """.formatted(podSpec.indent(2)));
        Map<String, Object> withSidecar = yaml("""
                apiVersion: v1
                kind: Pod
                metadata:
                  name: node-agent-7xk2q
                  namespace: monitoring
                  ownerReferences: [{apiVersion: apps/v1, kind: DaemonSet, name: node-agent, uid: ds-uid-1, controller: true}]
                spec:
                %s
                """.formatted(podSpec.replace("containers:\n", "containers:\n  - {name: mesh-proxy, image: "
                + "registry.example.com/proxy:1.0, securityContext: {privileged: true}}\n").indent(2)));

        Decision copy = engine.decide(policy, created(templateOnly, DAEMON_SET_CONTROLLER), cluster(yaml(privilegedAgent)));
        Decision injected = engine.decide(policy, created(withSidecar, DAEMON_SET_CONTROLLER), cluster(yaml(privilegedAgent)));

        assertThat(copy.allowed()).isTrue();
        assertThat(copy.with(RuleResult.Status.INHERITED)).extracting(RuleResult::ruleId).containsExactly("no-privileged");
        assertThat(injected.allowed()).isFalse();
        assertThat(injected.noticeLines()).containsExactly("[no-privileged] judged in full: container 'mesh-proxy' is not as in "
                + "DaemonSet monitoring/node-agent's pod template");
    }

    @Test
    void aSidecarThatKeepsTheRulesIsNotHeldAgainstThePod() throws Exception {
        Map<String, Object> withSidecar = daemonSetPod("""
                - name: log-shipper
                  image: registry.example.com/shipper:3.2.1
                  resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {memory: 32Mi}}
                  readinessProbe: {httpGet: {path: /ready, port: 8080}}
                  livenessProbe: {httpGet: {path: /live, port: 8080}}
                  securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true}
                """, "", "");

        Decision decision = engine.decide(policy(Mode.ENFORCE), created(withSidecar, DAEMON_SET_CONTROLLER),
                cluster(daemonSet()));

        assertThat(decision.allowed()).as("denied: %s", decision.denied()).isTrue();
        assertThat(decision.with(RuleResult.Status.INHERITED)).extracting(RuleResult::ruleId)
                .contains("host-path", "host-namespaces");
    }

    @Test
    void anEphemeralDebugContainerAndAPodLevelFieldTheTemplateLacksAreJudgedInFull() throws Exception {
        Decision debug = engine.decide(policy(Mode.ENFORCE), new Subject(
                daemonSetPod("ephemeralContainers: [{name: debugger, image: registry.example.com/tools:1.0, "
                        + "securityContext: {privileged: true}}]\n"),
                daemonSetPod(""), "UPDATE", "monitoring", Map.of("username", "alice"), false), cluster(daemonSet()));
        assertThat(debug.allowed()).isFalse();
        assertThat(debug.denied()).extracting(RuleResult::ruleId).contains("privileged");

        Decision hostPid = engine.decide(policy(Mode.ENFORCE), created(daemonSetPod("hostPID: true\n"),
                DAEMON_SET_CONTROLLER), cluster(daemonSet()));
        assertThat(hostPid.allowed()).isFalse();
        assertThat(hostPid.denied()).extracting(RuleResult::ruleId).containsExactly("host-namespaces");
        assertThat(hostPid.noticeLines()).anyMatch(notice -> notice.contains("pod field hostPID"));
        assertThat(hostPid.with(RuleResult.Status.INHERITED)).extracting(RuleResult::ruleId).contains("host-path")
                .doesNotContain("host-namespaces");
    }

    static Map<String, Object> deployment() throws Exception {
        return yaml(DEPLOYMENT);
    }

    static final String DEPLOYMENT = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web, namespace: shop, uid: deploy-uid}
                spec:
                  replicas: 3
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec:
                      containers:
                        - name: web
                          image: registry.example.com/web:latest
                """;

    static Map<String, Object> replicaSet() throws Exception {
        return yaml(REPLICA_SET);
    }

    static final String REPLICA_SET = """
                apiVersion: apps/v1
                kind: ReplicaSet
                metadata:
                  name: web-5d8f7c6b9
                  namespace: shop
                  uid: rs-uid
                  labels: {app: web, pod-template-hash: 5d8f7c6b9}
                  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: deploy-uid, controller: true}]
                spec:
                  replicas: 3
                  selector: {matchLabels: {app: web, pod-template-hash: 5d8f7c6b9}}
                  template:
                    metadata: {labels: {app: web, pod-template-hash: 5d8f7c6b9}}
                    spec:
                      containers:
                        - name: web
                          image: registry.example.com/web:latest
                """;

    static Map<String, Object> replicaSetPod() throws Exception {
        return yaml(REPLICA_SET_POD);
    }

    static final String REPLICA_SET_POD = """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: web-5d8f7c6b9-x2kqp
                  namespace: shop
                  labels: {app: web, pod-template-hash: 5d8f7c6b9}
                  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d8f7c6b9, uid: rs-uid, controller: true}]
                spec:
                  containers:
                    - name: web
                      image: registry.example.com/web:latest
                      volumeMounts: [{name: kube-api-access-abcde, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}]
                  volumes: [{name: kube-api-access-abcde, projected: {sources: [{serviceAccountToken: {path: token}}]}}]
                  nodeName: node-2
                """;

    @Test
    void inAuditModeOneViolatingDeploymentIsOneWouldDenyPerRuleItsReplicaSetAndPodsInherit() throws Exception {
        RelatedObjects cluster = cluster(deployment(), replicaSet());
        Policy audit = policy(Mode.AUDIT);

        Decision ofDeployment = engine.decide(audit, new Subject(deployment(), null, "CREATE", "shop",
                Map.of("username", "alice"), false), cluster);
        Decision ofReplicaSet = engine.decide(audit, new Subject(replicaSet(), null, "CREATE", "shop",
                Map.of("username", DEPLOYMENT_CONTROLLER), false), cluster);
        Decision ofPod = engine.decide(audit, new Subject(replicaSetPod(), null, "CREATE", "shop",
                Map.of("username", REPLICA_SET_CONTROLLER), false), cluster);

        assertThat(ofDeployment.disposed(Disposition.WOULD_DENY)).extracting(RuleResult::ruleId)
                .contains("replicas-spread", "image-tag", "resource-requests", "readiness-probe");
        for (Decision copy : List.of(ofReplicaSet, ofPod)) {
            assertThat(copy.disposed(Disposition.WOULD_DENY)).as("would-denies of %s", copy.objectReference()).isEmpty();
            assertThat(copy.disposed(Disposition.WARN)).as("warnings of %s", copy.objectReference()).isEmpty();
            assertThat(copy.warningLines()).as("warning lines of %s", copy.objectReference()).isEmpty();
            assertThat(copy.violations()).isEmpty();
        }
        List<String> inheritedByPod = new ArrayList<>();
        ofPod.with(RuleResult.Status.INHERITED).forEach(inherited -> inheritedByPod.add(inherited.ruleId()));
        assertThat(inheritedByPod).contains("image-tag", "resource-requests", "readiness-probe", "liveness-probe");
        // A Pod of a ReplicaSet of a Deployment is counted against the Deployment.
        assertThat(ofPod.with(RuleResult.Status.INHERITED)).allSatisfy(inherited -> {
            assertThat(inherited.owner().topKind()).isEqualTo("Deployment");
            assertThat(inherited.owner().reference()).isEqualTo("ReplicaSet shop/web-5d8f7c6b9");
        });
        assertThat(ofReplicaSet.with(RuleResult.Status.INHERITED)).extracting(RuleResult::ruleId)
                .contains("replicas-spread", "image-tag");
    }

    @Test
    void aLegacyOwnerAdmittedBeforeEnforcementStillGetsItsPodsInEnforceMode() throws Exception {
        Decision ofPod = engine.decide(policy(Mode.ENFORCE), new Subject(replicaSetPod(), null, "CREATE", "shop",
                Map.of("username", REPLICA_SET_CONTROLLER), false), cluster(deployment(), replicaSet()));

        assertThat(ofPod.allowed()).as("denied: %s", ofPod.denied()).isTrue();
    }

    @Test
    void aPodWhoseImageDiffersFromItsTemplateIsJudgedInFull() throws Exception {
        Map<String, Object> swapped = yaml(REPLICA_SET_POD.replace("registry.example.com/web:latest",
                "evil.example.com/miner:latest"));

        Decision decision = engine.decide(policy(Mode.ENFORCE), new Subject(swapped, null, "CREATE", "shop",
                Map.of("username", REPLICA_SET_CONTROLLER), false), cluster(deployment(), replicaSet()));

        assertThat(decision.allowed()).isFalse();
        assertThat(decision.denied()).extracting(RuleResult::ruleId).contains("image-tag");
        assertThat(decision.noticeLines()).anyMatch(notice -> notice.contains("[image-tag] judged in full: container 'web'"));
    }

    @Test
    void aRuleTheOwnersWereNeverJudgedByIsNotInherited() throws Exception {
        RuleLoader loader = new RuleLoader(new RuleCompiler());
        CompiledRule podsOnly = loader.load("no-host-network-pods.yaml", """
                id: no-host-network-pods
                title: Pods stay off the node's network
                category: security
                action: deny
                match: {kinds: [Pod]}
                validation: "!has(object.spec.hostNetwork) || !object.spec.hostNetwork"
                message: "'hostNetwork is not allowed'"
                """);
        Policy policy = new Policy("test", "v1", Mode.ENFORCE, RuleSet.withDefaults(pack).plus(List.of(podsOnly)),
                Set.of(), true);

        Decision decision = engine.decide(policy, created(daemonSetPod(""), DAEMON_SET_CONTROLLER), cluster(daemonSet()));

        assertThat(decision.denied()).extracting(RuleResult::ruleId).containsExactly("no-host-network-pods");
    }

    @Test
    void aPolicyCanTrustAnotherControllerForItsOwnKind() throws Exception {
        Policy policy = new PolicyLoader(new RuleLoader(new RuleCompiler()), pack).parse("policy.yaml", """
                apiVersion: safeguard.dev/v1alpha1
                kind: SafeguardPolicy
                spec:
                  ownership:
                    trustedControllers:
                      - username: system:serviceaccount:argo-rollouts:argo-rollouts
                        ownerKind: Rollout
                        ownerApiVersion: argoproj.io/v1alpha1
                """);
        Map<String, Object> rollout = yaml(DEPLOYMENT.replace("apps/v1", "argoproj.io/v1alpha1")
                .replace("kind: Deployment", "kind: Rollout"));
        Map<String, Object> replicaSet = yaml(REPLICA_SET.replace("{apiVersion: apps/v1, kind: Deployment",
                "{apiVersion: argoproj.io/v1alpha1, kind: Rollout"));

        Decision trusted = engine.decide(policy, new Subject(replicaSet, null, "CREATE", "shop",
                Map.of("username", "system:serviceaccount:argo-rollouts:argo-rollouts"), false), cluster(rollout));
        Decision impostor = engine.decide(policy, new Subject(replicaSet, null, "CREATE", "shop",
                Map.of("username", DEPLOYMENT_CONTROLLER), false), cluster(rollout));

        // Trusted: the ReplicaSet's violations are still its own, because no rule judges Rollouts (a rule
        // whose match.kinds names Rollout would let them be inherited).
        assertThat(trusted.ownership()).isNull();
        assertThat(trusted.notices()).isEmpty();
        assertThat(impostor.allowed()).isFalse();
        assertThat(impostor.ownership()).contains("system:serviceaccount:argo-rollouts:argo-rollouts");
    }

    @Test
    void aTrustedControllerWithoutTheApiVersionOfItsKindIsALoadError() {
        PolicyLoader loader = new PolicyLoader(new RuleLoader(new RuleCompiler()), pack);
        assertThatThrownBy(() -> loader.parse("policy.yaml", """
                apiVersion: safeguard.dev/v1alpha1
                kind: SafeguardPolicy
                spec:
                  ownership:
                    trustedControllers:
                      - {username: system:serviceaccount:argo-rollouts:argo-rollouts, ownerKind: Rollout}
                """)).isInstanceOf(RuleLoadException.class)
                .hasMessageContaining("spec.ownership.trustedControllers[0].ownerApiVersion is required for Rollout");
    }
}
