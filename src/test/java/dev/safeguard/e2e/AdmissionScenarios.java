package dev.safeguard.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.safeguard.e2e.Webhook.Mode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.SecurityContextBuilder;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraintBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.CronJobStatus;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.FieldValidateable;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The admission scenarios of issue 6, driven through a real API server that calls the packaged webhook over
 * TLS. Subclasses pick the cluster provider ({@link OnCluster}) and launch the webhook
 * ({@code @QuarkusIntegrationTest} with {@link E2EWebhook}, context lookups on against the same cluster).
 * Every scenario sets the policy mode it needs and
 * works in its own namespace, so the order only makes the log easier to read.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class AdmissionScenarios {

    /** The names the chart gives the ValidatingWebhookConfigurations of the releases "e2e" and "e2e-down". */
    static final String REGISTRATION = "e2e-kube-safeguard";
    static final String DOWN_REGISTRATION = "e2e-down-kube-safeguard";
    /** The webhook's name in the chart's configuration: the API server's messages quote it. */
    static final String WEBHOOK_NAME = "validate.safeguard.dev";
    static final String DENIED_PREFIX = "admission webhook \"" + WEBHOOK_NAME + "\" denied the request: ";
    /** Not sent to the working webhook (webhook.excludeNamespaces): only the unreachable one judges it. */
    static final String DOWN_NAMESPACE = "e2e-webhook-down";
    /** Not sent to the webhook either: the exported ValidatingAdmissionPolicies alone judge it. */
    static final String VAP_NAMESPACE = "e2e-vap";
    /** Where the controllers scenario creates its Deployment, DaemonSet and CronJob. */
    static final String CONTROLLERS_NAMESPACE = "e2e-controllers";
    /** The namespaces of the scenarios where verdicts follow ownership. */
    static final String OWN_DAEMONSET = "e2e-own-daemonset";
    static final String OWN_LEGACY = "e2e-own-legacy";
    static final String OWN_REFUSED = "e2e-own-refused";
    static final String OWN_AUDIT = "e2e-own-audit";
    static final String OWN_CRONJOB = "e2e-own-cronjob";
    static final List<String> NAMESPACES = List.of("e2e-enforce", "e2e-audit", "e2e-dry-run", Webhook.EXCLUDED_NAMESPACE,
            "e2e-exempt", "e2e-ratchet", DOWN_NAMESPACE, VAP_NAMESPACE, "e2e-context-pdb", "e2e-context-svc",
            "e2e-context-no-pdb", CONTROLLERS_NAMESPACE, OWN_DAEMONSET, OWN_LEGACY, OWN_REFUSED, OWN_AUDIT, OWN_CRONJOB);
    /** Who creates what in a cluster whose controller-manager runs with --use-service-account-credentials. */
    static final String REPLICASET_CONTROLLER = "system:serviceaccount:kube-system:replicaset-controller";
    static final String DEPLOYMENT_CONTROLLER = "system:serviceaccount:kube-system:deployment-controller";
    static final String DAEMONSET_CONTROLLER = "system:serviceaccount:kube-system:daemon-set-controller";
    static final String JOB_CONTROLLER = "system:serviceaccount:kube-system:job-controller";
    static final String CRONJOB_CONTROLLER = "system:serviceaccount:kube-system:cronjob-controller";

    static KubeCluster cluster;
    static KubernetesClient client;
    static final Warnings WARNINGS = new Warnings();
    private static boolean registered;
    private static final AtomicInteger PROBES = new AtomicInteger();

    @InjectWebhook
    Webhook webhook;

    @BeforeAll
    static void connect(KubeCluster provider) {
        cluster = provider;
        Config config = provider.clientConfig();
        // The API server's answer, not fabric8's retries: by default it retries 5xx answers (a webhook that
        // cannot be called) for about 20 s.
        config.setRequestRetryBackoffLimit(0);
        client = new KubernetesClientBuilder().withConfig(config)
                .withHttpClientBuilderConsumer(builder -> builder.addOrReplaceInterceptor("warnings", WARNINGS))
                .build();
        for (String namespace : NAMESPACES) {
            labelledNamespace(namespace, Map.of());
        }
        // The webhook has context lookups on: the compliant "web" Deployments of these scenarios have their
        // disruption budget (else pdb-for-replicas warns).
        client.resource(pdb("e2e-enforce", "web", "maxUnavailable: 1")).serverSideApply();
        client.resource(pdb("e2e-dry-run", "web", "maxUnavailable: 1")).serverSideApply();
        registered = false;
    }

    @AfterAll
    static void disconnect() {
        if (client != null) {
            client.admissionRegistration().v1().validatingWebhookConfigurations().withName(REGISTRATION).delete();
            client.admissionRegistration().v1().validatingWebhookConfigurations().withName(DOWN_REGISTRATION).delete();
            client.close();
        }
    }

    /** Registers the webhook once per class, then waits until the API server really calls it. */
    @BeforeEach
    void registerWebhook() {
        if (registered) {
            return;
        }
        webhook.use(Mode.ENFORCE);
        // Ready means every informer cache has synced: the budgets created above are in it.
        webhook.awaitReady();
        register(registration());
        awaitWebhookJudges("e2e-enforce", REGISTRATION, DENIED_PREFIX);
        registered = true;
    }

    /**
     * The registration under test: the chart's own ValidatingWebhookConfiguration, rendered for the release
     * "e2e" with the test CA and failurePolicy Fail (an admitted request was really admitted by the webhook,
     * never let through because the API server could not reach it), pointing at the packaged webhook.
     */
    ValidatingWebhookConfiguration registration() {
        return HelmChart.registration("e2e", webhook.url(cluster.testMachineHost()), webhook.caBundle(), Map.of(
                "webhook.failurePolicy", "Fail",
                // The first is judged only by the unreachable registration, the second only by exported policies.
                "webhook.excludeNamespaces[0]", DOWN_NAMESPACE,
                "webhook.excludeNamespaces[1]", VAP_NAMESPACE));
    }

    static void register(ValidatingWebhookConfiguration configuration) {
        client.admissionRegistration().v1().validatingWebhookConfigurations().resource(configuration)
                .forceConflicts().serverSideApply();
    }

    /**
     * The API server picks up webhook configurations asynchronously: wait until a server-side dry-run create
     * of a violating Deployment in {@code namespace} comes back refused by the webhook, with {@code expected}
     * in the API server's message.
     */
    static void awaitWebhookJudges(String namespace, String registration, String expected) {
        await("the API server calling the webhook of " + registration + " for namespace " + namespace)
                .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    try {
                        client.resource(Manifests.careless(namespace, "probe-" + PROBES.incrementAndGet())).dryRun().create();
                        return false;
                    } catch (KubernetesClientException e) {
                        if (!e.getMessage().contains(expected)) {
                            throw e;
                        }
                        return true;
                    }
                });
    }

    static HasMetadata pdb(String namespace, String app, String budget) {
        return client.getKubernetesSerialization().unmarshal("""
                apiVersion: policy/v1
                kind: PodDisruptionBudget
                metadata: {name: %s, namespace: %s}
                spec:
                  %s
                  selector: {matchLabels: {app: %s}}
                """.formatted(app, namespace, budget, app), HasMetadata.class);
    }

    static HasMetadata service(String namespace, String name, String app) {
        return client.getKubernetesSerialization().unmarshal("""
                apiVersion: v1
                kind: Service
                metadata: {name: %s, namespace: %s}
                spec:
                  selector: {app: %s}
                  ports: [{port: 80, targetPort: 8080}]
                """.formatted(name, namespace, app), HasMetadata.class);
    }

    /**
     * The webhook's informers see objects created through the API server a moment later: send server-side
     * dry-runs of {@code object} until the answer (refusal message or warnings) shows {@code expected}.
     */
    static void awaitContext(HasMetadata object, String expected) {
        await("the webhook's informer cache reflecting the cluster (" + expected + ")").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .until(() -> {
                    WARNINGS.clear();
                    try {
                        client.resource(object).dryRun().create();
                        return WARNINGS.safeguard().stream().anyMatch(w -> w.contains(expected));
                    } catch (KubernetesClientException e) {
                        return e.getMessage().contains(expected);
                    }
                });
    }

    static Deployment create(Deployment deployment) {
        WARNINGS.clear();
        return client.resource(deployment).create();
    }

    static KubernetesClientException refused(Runnable request) {
        WARNINGS.clear();
        KubernetesClientException refused = catchThrowableOfType(KubernetesClientException.class, request::run);
        assertThat(refused).as("the API server refused the request").isNotNull();
        return refused;
    }

    /**
     * Read, change, write, as {@code kubectl edit} does: fabric8's edit sends the resourceVersion it read, and the
     * deployment controller writes the Deployment too (revision annotation, status), so a write can meet 409
     * Conflict; then read again and retry, as a user would. (A conflict is answered before admission: the webhook
     * is asked once, about the write that goes through or is refused.)
     */
    static Deployment edit(String namespace, String name, UnaryOperator<Deployment> change) {
        for (int attempt = 1;; attempt++) {
            try {
                return client.apps().deployments().inNamespace(namespace).withName(name).edit(change);
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 10) {
                    throw e;
                }
            }
        }
    }

    static Deployment get(String namespace, String name) {
        return client.apps().deployments().inNamespace(namespace).withName(name).get();
    }

    static String[] prefixed(String... ruleIds) {
        return Arrays.stream(ruleIds).map(id -> "[" + id + "] ").toArray(String[]::new);
    }

    double requests(String... labels) {
        return Webhook.sample(webhook.metrics(), "safeguard_admission_requests_total", labels);
    }

    @Test
    @Order(1)
    void compliantDeploymentIsCreated() {
        webhook.use(Mode.ENFORCE);
        String[] allowed = {"kind=\"Deployment\"", "operation=\"CREATE\"", "decision=\"allow\"", "dry_run=\"false\""};
        double before = requests(allowed);

        Deployment created = create(Manifests.compliant("e2e-enforce", "web"));

        assertThat(created.getMetadata().getUid()).isNotBlank();
        assertThat(get("e2e-enforce", "web")).isNotNull();
        assertThat(WARNINGS.safeguard()).isEmpty();
        // It was the webhook that admitted it (failurePolicy Fail makes sure of that, and the webhook counted it).
        assertThat(requests(allowed)).isEqualTo(before + 1);
    }

    @Test
    @Order(2)
    void violatingDeploymentIsRefusedWithTheObjectEveryDeniedRuleAndItsFix() {
        webhook.use(Mode.ENFORCE);

        KubernetesClientException refused = refused(() -> client.resource(Manifests.careless("e2e-enforce", "shop-api")).create());

        assertThat(refused.getCode()).isEqualTo(403);
        assertThat(refused.getStatus().getReason()).isEqualTo("Forbidden");
        String message = refused.getStatus().getMessage();
        assertThat(message).startsWith(DENIED_PREFIX + "Deployment e2e-enforce/shop-api violates 4 kube-safeguard rules:");
        List<String> lines = message.lines().skip(1).toList();
        assertThat(lines).hasSize(4);
        assertThat(lines).anyMatch(l -> l.startsWith("[replicas-spread] all 3 replicas can be scheduled onto one node")
                && l.contains("add spec.template.spec.topologySpreadConstraints with topologyKey kubernetes.io/hostname"));
        assertThat(lines).anyMatch(l -> l.startsWith("[readiness-probe] no readinessProbe on container(s) api")
                && l.contains("add a readinessProbe to each in spec.template.spec.containers"));
        assertThat(lines).anyMatch(l -> l.startsWith("[resource-requests] no resource requests on container(s) api (cpu, memory)")
                && l.contains("set resources.requests.cpu and .memory"));
        assertThat(lines).anyMatch(l -> l.startsWith("[image-tag] no version tag or digest on the image of container(s) api (shop/api:latest)")
                && l.contains("pin a tag (app:1.4.2) or a digest"));
        // What the exception says is what kubectl prints: the object, the rules, the fixes.
        assertThat(refused.getMessage()).contains("Deployment e2e-enforce/shop-api violates 4 kube-safeguard rules")
                .contains(prefixed(Manifests.CARELESS_DENIED));
        assertThat(get("e2e-enforce", "shop-api")).isNull();
    }

    @Test
    @Order(3)
    void auditModeCreatesTheViolatingDeploymentAndTheWarningsReachTheClient() {
        webhook.use(Mode.AUDIT);

        Deployment created = create(Manifests.careless("e2e-audit", "shop-api"));

        assertThat(created.getMetadata().getUid()).isNotBlank();
        List<String> warnings = WARNINGS.safeguard();
        for (String rule : Manifests.CARELESS_DENIED) {
            assertThat(warnings).anyMatch(w -> w.startsWith("[" + rule + "] (audit mode, would deny) "));
        }
        // Warn-level rules warn in either mode.
        assertThat(warnings).anyMatch(w -> w.startsWith("[liveness-probe] "))
                .anyMatch(w -> w.startsWith("[memory-limits] "));
        // As the webhook shortened them (rule id and the start of the fix first), not cut again or garbled on the way.
        assertThat(warnings).allMatch(w -> w.length() <= 256)
                .anyMatch(w -> w.startsWith("[replicas-spread] ") && w.endsWith("..."));
    }

    @Test
    @Order(4)
    void serverSideDryRunIsEvaluatedRefusedWhenItShouldBeAndNothingIsPersisted() {
        webhook.use(Mode.ENFORCE);
        String[] dryRun = {"kind=\"Deployment\"", "operation=\"CREATE\"", "dry_run=\"true\""};
        double deniedBefore = requests(concat(dryRun, "decision=\"deny\""));
        double allowedBefore = requests(concat(dryRun, "decision=\"allow\""));

        KubernetesClientException refused = refused(() -> client.resource(Manifests.careless("e2e-dry-run", "shop-api"))
                .dryRun().create());
        assertThat(refused.getCode()).isEqualTo(403);
        assertThat(refused.getStatus().getMessage()).startsWith(DENIED_PREFIX + "Deployment e2e-dry-run/shop-api violates 4");

        Deployment answered = client.resource(Manifests.compliant("e2e-dry-run", "web")).dryRun().create();
        assertThat(answered.getMetadata().getName()).isEqualTo("web");

        assertThat(get("e2e-dry-run", "shop-api")).isNull();
        assertThat(get("e2e-dry-run", "web")).as("a dry-run create persists nothing").isNull();
        assertThat(requests(concat(dryRun, "decision=\"deny\""))).isEqualTo(deniedBefore + 1);
        assertThat(requests(concat(dryRun, "decision=\"allow\""))).isEqualTo(allowedBefore + 1);
    }

    @Test
    @Order(5)
    void excludedNamespaceIsAdmittedWithoutEvaluation() {
        webhook.use(Mode.ENFORCE);

        Deployment created = create(Manifests.careless(Webhook.EXCLUDED_NAMESPACE, "shop-api"));

        assertThat(created.getMetadata().getUid()).isNotBlank();
        assertThat(WARNINGS.safeguard()).isEmpty();
    }

    @Test
    @Order(6)
    void exemptedObjectIsAdmittedAndAnExemptionWithoutReasonIsNot() {
        webhook.use(Mode.ENFORCE);
        double before = Webhook.sample(webhook.metrics(), "safeguard_exemptions_total", "rule=\"image-tag\"");
        Deployment exempted = Manifests.careless("e2e-exempt", "legacy-api");
        exempted.getMetadata().setAnnotations(Map.of(
                "safeguard.dev/exempt", String.join(",", Manifests.CARELESS_DENIED),
                "safeguard.dev/exempt-reason", "legacy app, migration tracked in PLAT-42"));
        double inheritedBefore = inherited("image-tag", "Deployment");

        Deployment created = create(exempted);

        assertThat(created.getMetadata().getUid()).isNotBlank();
        // The deployment controller copies the annotations, the exemption included, onto the ReplicaSet it creates
        // and the replicaset controller makes 3 Pods from it: all of them inherit the Deployment's exemption,
        // counted as inherited, so the exemption itself is counted once.
        ReplicaSet replicaSet = awaitReplicaSet("e2e-exempt", created);
        awaitPods("e2e-exempt", replicaSet, 3, Duration.ofSeconds(30));
        assertThat(Webhook.sample(webhook.metrics(), "safeguard_exemptions_total", "rule=\"image-tag\"")).isEqualTo(before + 1);
        assertThat(inherited("image-tag", "Deployment")).isEqualTo(inheritedBefore + 4);

        Deployment noReason = Manifests.careless("e2e-exempt", "no-reason");
        noReason.getMetadata().setAnnotations(Map.of("safeguard.dev/exempt", String.join(",", Manifests.CARELESS_DENIED)));
        KubernetesClientException refused = refused(() -> client.resource(noReason).create());
        assertThat(refused.getStatus().getMessage()).contains("Deployment e2e-exempt/no-reason violates 4");
    }

    @Test
    @Order(7)
    void updateThatOnlyScalesALegacyDeploymentIsAdmittedOneThatAddsAViolationIsRefused() {
        // A Deployment that was admitted before enforcement: created while the policy was in audit mode.
        webhook.use(Mode.AUDIT);
        create(Manifests.careless("e2e-ratchet", "legacy"));
        webhook.use(Mode.ENFORCE);

        WARNINGS.clear();
        Deployment scaled = edit("e2e-ratchet", "legacy", d -> {
            d.getSpec().setReplicas(5);
            return d;
        });
        assertThat(scaled.getSpec().getReplicas()).isEqualTo(5);
        assertThat(WARNINGS.safeguard()).as("the old violations come back as warnings")
                .anyMatch(w -> w.startsWith("[image-tag] ") && w.contains("already present before this update, not denied"));

        KubernetesClientException refused = refused(() -> edit("e2e-ratchet", "legacy", d -> {
            d.getSpec().getTemplate().getSpec().getContainers().get(0)
                    .setSecurityContext(new SecurityContextBuilder().withPrivileged(true).build());
            return d;
        }));
        assertThat(refused.getCode()).isEqualTo(403);
        assertThat(refused.getStatus().getMessage())
                .startsWith(DENIED_PREFIX + "Deployment e2e-ratchet/legacy violates 1 kube-safeguard rule:")
                .contains("[privileged] securityContext.privileged is true for api");
        assertThat(get("e2e-ratchet", "legacy").getSpec().getTemplate().getSpec().getContainers().get(0).getSecurityContext())
                .isNull();
    }

    @Test
    @Order(8)
    void unreachableWebhookFailPolicyRefusesWithTheApiServersErrorIgnoreAdmits() {
        String deadUrl = "https://" + cluster.testMachineHost() + ":" + E2EPorts.dead() + "/validate";
        register(downRegistration(deadUrl, "Fail"));
        awaitWebhookJudges(DOWN_NAMESPACE, DOWN_REGISTRATION, "failed calling webhook");

        KubernetesClientException refused = refused(() -> client.resource(Manifests.compliant(DOWN_NAMESPACE, "web")).create());
        assertThat(refused.getCode()).isEqualTo(500);
        assertThat(refused.getStatus().getMessage())
                .contains("failed calling webhook \"" + WEBHOOK_NAME + "\"")
                .contains(":" + E2EPorts.dead() + "/validate")
                .contains("connection refused");
        assertThat(get(DOWN_NAMESPACE, "web")).isNull();

        register(downRegistration(deadUrl, "Ignore"));
        await("the API server failing open for " + DOWN_NAMESPACE).atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .ignoreException(KubernetesClientException.class)
                .until(() -> client.resource(Manifests.careless(DOWN_NAMESPACE, "probe-" + PROBES.incrementAndGet()))
                        .dryRun().create() != null);
        // Unchecked: even a Deployment the webhook would refuse gets in while it is unreachable.
        Deployment created = create(Manifests.careless(DOWN_NAMESPACE, "shop-api"));
        assertThat(created.getMetadata().getUid()).isNotBlank();
        assertThat(WARNINGS.safeguard()).isEmpty();
        client.admissionRegistration().v1().validatingWebhookConfigurations().withName(DOWN_REGISTRATION).delete();
    }

    /** The chart's registration, for release "e2e-down", pointing at a dead port, for {@link #DOWN_NAMESPACE} only. */
    ValidatingWebhookConfiguration downRegistration(String deadUrl, String failurePolicy) {
        return HelmChart.registration("e2e-down", deadUrl, webhook.caBundle(), Map.of(
                "webhook.failurePolicy", failurePolicy,
                "webhook.namespaceSelectorExpressions[0].key", "kubernetes.io/metadata.name",
                "webhook.namespaceSelectorExpressions[0].operator", "In",
                "webhook.namespaceSelectorExpressions[0].values[0]", DOWN_NAMESPACE));
    }

    @Test
    @Order(9)
    void theChartsDefaultRenderIsAppliedAndTheApiServerAcceptsEveryObject() {
        List<GenericKubernetesResource> objects = HelmChart.render("kube-safeguard", "kube-safeguard", Map.of());
        labelledNamespace("kube-safeguard", Map.of());
        try {
            for (GenericKubernetesResource object : objects) {
                WARNINGS.clear();
                // Strict: an unknown or duplicate field is an error, not a warning the API server drops.
                HasMetadata created = client.resource(object).fieldValidation(FieldValidateable.Validation.STRICT).create();
                assertThat(created.getMetadata().getUid()).as(HelmChart.describe(object)).isNotBlank();
                assertThat(WARNINGS.texts()).as("warnings for " + HelmChart.describe(object)).isEmpty();
            }
            assertThat(objects).extracting(GenericKubernetesResource::getKind).contains("ServiceAccount", "ClusterRole",
                    "ClusterRoleBinding", "ConfigMap", "Secret", "Service", "Deployment", "PodDisruptionBudget",
                    "ValidatingWebhookConfiguration");
        } finally {
            // Its Service has no pods here: with failurePolicy Ignore it would only slow the other scenarios down.
            client.admissionRegistration().v1().validatingWebhookConfigurations().withName("kube-safeguard").delete();
        }
    }

    @Test
    @Order(10)
    void theExportedValidatingAdmissionPoliciesMakeTheApiServerItselfRefuseAViolatingDeployment() {
        PackagedCli.Result export = PackagedCli.run("export", "vap");
        assertThat(export.exitCode()).as(export.err()).isZero();
        List<HasMetadata> objects = client.load(new ByteArrayInputStream(export.out().getBytes(StandardCharsets.UTF_8))).items();
        // The built-in pack in enforce mode: every rule the careless Deployment violates is exported (as [Deny]).
        for (String rule : Manifests.CARELESS_DENIED) {
            assertThat(objects).anyMatch(o -> o.getKind().equals("ValidatingAdmissionPolicy")
                    && o.getMetadata().getName().equals("safeguard-" + rule));
            assertThat(objects).anyMatch(o -> o.getKind().equals("ValidatingAdmissionPolicyBinding")
                    && o.getMetadata().getName().equals("safeguard-" + rule));
        }
        double webhookRequests = deploymentRequests();
        try {
            for (HasMetadata object : objects) {
                WARNINGS.clear();
                client.resource(object).fieldValidation(FieldValidateable.Validation.STRICT).create();
                assertThat(WARNINGS.texts()).as("warnings for " + HelmChart.describe(object)).isEmpty();
            }
            // The API server compiles policies and starts enforcing their bindings asynchronously.
            await("the API server enforcing the exported policies").atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        try {
                            client.resource(Manifests.careless(VAP_NAMESPACE, "probe-" + PROBES.incrementAndGet())).dryRun().create();
                            return false;
                        } catch (KubernetesClientException e) {
                            if (!e.getMessage().contains("ValidatingAdmissionPolicy")) {
                                throw e;
                            }
                            return true;
                        }
                    });

            KubernetesClientException refused = refused(() -> client.resource(Manifests.careless(VAP_NAMESPACE, "shop-api")).create());
            // The API server names the first policy that denied: one of the four, with the rule's own message.
            assertThat(refused.getCode()).isEqualTo(403);
            Matcher denial = Pattern.compile("^deployments\\.apps \"shop-api\" is forbidden: ValidatingAdmissionPolicy "
                    + "'safeguard-([a-z-]+)' with binding 'safeguard-\\1' denied request: \\[\\1\\] .+", Pattern.DOTALL)
                    .matcher(refused.getStatus().getMessage());
            assertThat(denial.matches()).as(refused.getStatus().getMessage()).isTrue();
            assertThat(denial.group(1)).isIn((Object[]) Manifests.CARELESS_DENIED);
            assertThat(get(VAP_NAMESPACE, "shop-api")).isNull();

            Deployment compliant = create(Manifests.compliant(VAP_NAMESPACE, "web"));
            assertThat(compliant.getMetadata().getUid()).isNotBlank();
            assertThat(WARNINGS.texts()).as("no exported warn-level policy fires either").isEmpty();
            assertThat(deploymentRequests()).as("the webhook was not asked: the API server decided alone").isEqualTo(webhookRequests);
        } finally {
            // Cluster-wide: they would judge every other scenario's namespaces too.
            client.admissionRegistration().v1().validatingAdmissionPolicyBindings().withLabel("safeguard.dev/rule").delete();
            client.admissionRegistration().v1().validatingAdmissionPolicies().withLabel("safeguard.dev/rule").delete();
        }
    }

    @Test
    @Order(11)
    void contextAMultiReplicaDeploymentWithNoBudgetInItsNamespaceIsWarned() {
        webhook.use(Mode.ENFORCE);
        awaitContext(Manifests.compliant("e2e-context-no-pdb", "web"), "[pdb-for-replicas]");

        Deployment created = create(Manifests.compliant("e2e-context-no-pdb", "web"));

        assertThat(created.getMetadata().getUid()).isNotBlank();
        assertThat(WARNINGS.safeguard()).anyMatch(w -> w.startsWith("[pdb-for-replicas] 3 replicas but no PodDisruptionBudget"));
    }

    @Test
    @Order(12)
    void contextABudgetThatAllowsNoDisruptionRefusesTheDeploymentItSelects() {
        webhook.use(Mode.ENFORCE);
        client.resource(pdb("e2e-context-pdb", "web", "minAvailable: 3")).create();
        awaitContext(Manifests.compliant("e2e-context-pdb", "web"), "[pdb-allows-disruption]");

        KubernetesClientException refused = refused(() -> client.resource(Manifests.compliant("e2e-context-pdb", "web")).create());

        assertThat(refused.getCode()).isEqualTo(403);
        assertThat(refused.getStatus().getMessage())
                .startsWith(DENIED_PREFIX + "Deployment e2e-context-pdb/web violates 1 kube-safeguard rule:")
                .contains("[pdb-allows-disruption] ");
        assertThat(get("e2e-context-pdb", "web")).isNull();
    }

    @Test
    @Order(13)
    void contextASecondServiceWithTheSameSelectorIsWarned() {
        webhook.use(Mode.ENFORCE);
        WARNINGS.clear();
        client.resource(service("e2e-context-svc", "web", "web")).create();
        assertThat(WARNINGS.safeguard()).noneMatch(w -> w.startsWith("[unique-service-selector]"));
        awaitContext(service("e2e-context-svc", "web-canary", "web"), "[unique-service-selector]");

        WARNINGS.clear();
        HasMetadata created = client.resource(service("e2e-context-svc", "web-canary", "web")).create();

        assertThat(created.getMetadata().getUid()).isNotBlank();
        assertThat(WARNINGS.safeguard()).anyMatch(w -> w.startsWith("[unique-service-selector] "));
    }

    @Test
    @Order(14)
    void controllersCreateReplicaSetsPodsAndJobsAndTheWebhookIsAskedAboutEveryPod() {
        // Audit mode: nothing is refused, whatever the rules think of what controllers create.
        webhook.use(Mode.AUDIT);
        String namespace = CONTROLLERS_NAMESPACE;
        List<String> nodes = Nodes.ensure(client, 2);
        double podCreatesBefore = podCreates();
        long start = System.nanoTime();

        Deployment web = Manifests.compliant(namespace, "web");
        web.getSpec().setReplicas(2);
        web = create(web);
        DaemonSet agent = client.resource(Workloads.daemonSet(namespace, "agent")).create();
        CronJob report = client.resource(Workloads.everyMinute(namespace, "report")).create();
        missedTheLastRun(namespace, "report");

        ReplicaSet replicaSet = awaitReplicaSet(namespace, web);
        List<Pod> webPods = awaitPods(namespace, replicaSet, 2, Duration.ofSeconds(30));
        assertThat(webPods).allMatch(pod -> pod.getMetadata().getLabels().get("pod-template-hash") != null);

        List<Pod> agentPods = awaitPods(namespace, agent, nodes.size(), Duration.ofSeconds(30));
        assertThat(agentPods).as("one Pod per Node").extracting(Workloads::targetNode).containsExactlyInAnyOrderElementsOf(nodes);

        Job job = await("the cronjob controller creating report's Job").atMost(Duration.ofSeconds(75))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> Workloads.controlledBy(client.batch().v1().jobs().inNamespace(namespace).list().getItems(), report),
                        list -> !list.isEmpty()).get(0);
        System.out.printf("[e2e] CronJob %s/report: Job %s after %.1f s%n", namespace, job.getMetadata().getName(),
                (System.nanoTime() - start) / 1e9);
        List<Pod> jobPods = awaitPods(namespace, job, 1, Duration.ofSeconds(30));
        System.out.printf("[e2e] controllers: ReplicaSet and %d Pods of Deployment web, %d Pods of DaemonSet agent, Job and "
                + "%d Pod of CronJob report in %.1f s%n", webPods.size(), agentPods.size(), jobPods.size(),
                (System.nanoTime() - start) / 1e9);

        // Every one of those Pods was admitted through the webhook (failurePolicy Fail), which counted its CREATE.
        // At least: controllers elsewhere keep retrying the Pods that enforce mode refused earlier.
        int pods = webPods.size() + agentPods.size() + jobPods.size();
        assertThat(podCreates()).as("safeguard_admission_requests_total{kind=\"Pod\",operation=\"CREATE\"}")
                .isGreaterThanOrEqualTo(podCreatesBefore + pods);
        printAsAdmitted(webPods.get(0), Workloads.compliantTemplate(namespace, "web").getSpec());

        cluster.auditLog().ifPresentOrElse(log -> {
            // Who sent those CREATEs (the userInfo the webhook was given): each controller as its own ServiceAccount.
            List<AuditLog.Entry> podCreates = await("the audit log showing the " + pods + " Pod CREATEs in " + namespace)
                    .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                    .until(() -> AuditLog.creates(log, "pods", namespace), list -> list.size() >= pods);
            System.out.printf("[e2e] userInfo.username of the Pod CREATEs in %s: %s%n", namespace,
                    podCreates.stream().map(AuditLog.Entry::username).sorted().toList());
            assertThat(podCreates).extracting(AuditLog.Entry::username).containsExactlyInAnyOrder(
                    REPLICASET_CONTROLLER, REPLICASET_CONTROLLER, DAEMONSET_CONTROLLER, DAEMONSET_CONTROLLER, JOB_CONTROLLER);
            assertThat(AuditLog.creates(log, "replicasets", namespace)).extracting(AuditLog.Entry::username)
                    .containsExactly(DEPLOYMENT_CONTROLLER);
            assertThat(AuditLog.creates(log, "jobs", namespace)).extracting(AuditLog.Entry::username)
                    .containsExactly(CRONJOB_CONTROLLER);
        }, () -> System.out.printf("[e2e] %s writes no audit log here: the controllers' identities are not checked%n",
                cluster.name()));
    }

    // --- Verdicts follow ownership (issue 9): what the controllers create inherits its owner's standing ----------

    @Test
    @Order(15)
    void enforceAnExemptedDaemonSetGetsOnePodPerNode() {
        webhook.use(Mode.ENFORCE);
        List<String> nodes = Nodes.ensure(client, 2);
        double inheritedBefore = inherited("host-path", "DaemonSet");

        DaemonSet agent = client.resource(nodeAgent(OWN_DAEMONSET)).create();

        List<Pod> pods = awaitPods(OWN_DAEMONSET, agent, nodes.size(), Duration.ofSeconds(30));
        assertThat(pods).extracting(Workloads::targetNode).containsExactlyInAnyOrderElementsOf(nodes);
        assertThat(pods).allSatisfy(pod -> assertThat(pod.getSpec().getHostNetwork()).isTrue());
        assertThat(inherited("host-path", "DaemonSet")).isEqualTo(inheritedBefore + nodes.size());
    }

    @Test
    @Order(16)
    void aPodWithAForgedOwnerReferenceToTheExemptedDaemonSetIsRefusedSayingWhy() {
        webhook.use(Mode.ENFORCE);
        DaemonSet agent = client.apps().daemonSets().inNamespace(OWN_DAEMONSET).withName("node-agent").get();
        if (agent == null) {
            agent = client.resource(nodeAgent(OWN_DAEMONSET)).create();
        }
        Pod forged = new PodBuilder()
                .withNewMetadata().withName("node-agent-forged").withNamespace(OWN_DAEMONSET)
                .withLabels(Map.of("app", "node-agent"))
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("DaemonSet")
                        .withName("node-agent").withUid(agent.getMetadata().getUid()).withController(true).build())
                .endMetadata()
                .withSpec(new PodSpecBuilder(agent.getSpec().getTemplate().getSpec())
                        .editFirstContainer().withSecurityContext(new SecurityContextBuilder().withPrivileged(true).build())
                        .endContainer().build())
                .build();

        KubernetesClientException refused = refused(() -> client.resource(forged).create());

        assertThat(refused.getCode()).isEqualTo(403);
        assertThat(refused.getStatus().getMessage())
                .startsWith(DENIED_PREFIX + "Pod " + OWN_DAEMONSET + "/node-agent-forged violates")
                .contains("[privileged] ", "[host-path] ", "[host-namespaces] ")
                .contains("[ownership] DaemonSet node-agent is named as its controller but not trusted: the request comes from '")
                .contains("not from the controller that creates Pods for DaemonSets (" + DAEMONSET_CONTROLLER);
    }

    @Test
    @Order(17)
    void aPrivilegedLegacyDeploymentCreatedWhileExcludedScalesAndRollsOutOnceEnforced() {
        webhook.use(Mode.ENFORCE, OWN_LEGACY);
        Deployment legacy = Manifests.careless(OWN_LEGACY, "legacy");
        legacy.getSpec().setReplicas(1);
        legacy.getSpec().getTemplate().getSpec().getContainers().get(0)
                .setSecurityContext(new SecurityContextBuilder().withPrivileged(true).build());
        // Spread, so that scaling it adds no violation of its own (replicas-spread); ratcheting allows the rest.
        legacy.getSpec().getTemplate().getSpec().setTopologySpreadConstraints(List.of(new TopologySpreadConstraintBuilder()
                .withMaxSkew(1).withTopologyKey("kubernetes.io/hostname").withWhenUnsatisfiable("ScheduleAnyway")
                .withNewLabelSelector().withMatchLabels(Map.of("app", "legacy")).endLabelSelector().build()));
        Deployment created = create(legacy);
        ReplicaSet first = awaitReplicaSet(OWN_LEGACY, created);
        awaitPods(OWN_LEGACY, first, 1, Duration.ofSeconds(30));

        webhook.use(Mode.ENFORCE);
        // Scaling: the UPDATE only keeps old violations (ratcheting); the replicaset controller's new Pods inherit.
        edit(OWN_LEGACY, "legacy", deployment -> {
            deployment.getSpec().setReplicas(3);
            return deployment;
        });
        awaitPods(OWN_LEGACY, first, 3, Duration.ofSeconds(30));

        // A new image: the deployment controller creates a new ReplicaSet from the new template, then its Pods.
        edit(OWN_LEGACY, "legacy", deployment -> {
            deployment.getSpec().getTemplate().getSpec().getContainers().get(0).setImage("shop/api:latest-hotfix");
            return deployment;
        });
        ReplicaSet second = await("the rollout's new ReplicaSet").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> Workloads.controlledBy(client.apps().replicaSets().inNamespace(OWN_LEGACY).list().getItems(), created)
                        .stream().filter(rs -> !rs.getMetadata().getUid().equals(first.getMetadata().getUid())).findFirst(),
                        Optional::isPresent).get();
        assertThat(second.getSpec().getTemplate().getSpec().getContainers().get(0).getImage()).isEqualTo("shop/api:latest-hotfix");
        await("Pods of the new ReplicaSet").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> Workloads.controlledBy(client.pods().inNamespace(OWN_LEGACY).list().getItems(), second),
                        pods -> !pods.isEmpty());
    }

    @Test
    @Order(18)
    void enforceAViolatingDeploymentIsRefusedAndNoReplicaSetExistsAfterwards() throws InterruptedException {
        webhook.use(Mode.ENFORCE);

        KubernetesClientException refused = refused(() -> client.resource(Manifests.careless(OWN_REFUSED, "api")).create());

        assertThat(refused.getCode()).isEqualTo(403);
        // Nothing for a controller to act on: give it the time it takes elsewhere to create a ReplicaSet.
        Thread.sleep(2_000);
        assertThat(client.apps().replicaSets().inNamespace(OWN_REFUSED).list().getItems()).isEmpty();
        assertThat(client.pods().inNamespace(OWN_REFUSED).list().getItems()).isEmpty();
    }

    @Test
    @Order(19)
    void auditOneViolatingDeploymentIsOneWouldDenyPerRuleItsReplicaSetAndPodsAreInherited() {
        webhook.use(Mode.AUDIT);
        String metricsBefore = webhook.metrics();
        double podWarnings = requestsSum("kind=\"Pod\"", "decision=\"warn\"") + requestsSum("kind=\"Pod\"", "decision=\"would_deny\"");
        double replicaSetWarnings = requestsSum("kind=\"ReplicaSet\"", "decision=\"warn\"")
                + requestsSum("kind=\"ReplicaSet\"", "decision=\"would_deny\"");

        Deployment created = create(Manifests.careless(OWN_AUDIT, "api"));

        for (String rule : Manifests.CARELESS_DENIED) {
            assertThat(WARNINGS.safeguard()).as("warnings on the Deployment")
                    .anyMatch(warning -> warning.startsWith("[" + rule + "] (audit mode, would deny)"));
        }
        ReplicaSet replicaSet = awaitReplicaSet(OWN_AUDIT, created);
        awaitPods(OWN_AUDIT, replicaSet, 3, Duration.ofSeconds(30));
        String metricsAfter = await("the 3 Pods' inherited violations counted").atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(200)).until(webhook::metrics, text -> delta(metricsBefore, text,
                        "safeguard_inherited_violations_total", "rule=\"image-tag\"", "owner_kind=\"Deployment\"") >= 4);

        for (String rule : Manifests.CARELESS_DENIED) {
            assertThat(delta(metricsBefore, metricsAfter, "safeguard_rule_violations_total", "rule=\"" + rule + "\"",
                    "action=\"deny\"", "mode=\"audit\"")).as("would-denies of " + rule).isEqualTo(1);
        }
        // The ReplicaSet and its 3 Pods: inherited, once each, counted against the Deployment.
        assertThat(delta(metricsBefore, metricsAfter, "safeguard_inherited_violations_total", "rule=\"image-tag\"",
                "owner_kind=\"Deployment\"")).isEqualTo(4);
        assertThat(requestsSum("kind=\"Pod\"", "decision=\"warn\"") + requestsSum("kind=\"Pod\"", "decision=\"would_deny\""))
                .as("Pods answered with warnings").isEqualTo(podWarnings);
        assertThat(requestsSum("kind=\"ReplicaSet\"", "decision=\"warn\"")
                + requestsSum("kind=\"ReplicaSet\"", "decision=\"would_deny\"")).as("ReplicaSets answered with warnings")
                .isEqualTo(replicaSetWarnings);
    }

    @Test
    @Order(20)
    void enforceAnExemptedCronJobGetsItsJobAndPodFromTheCronJobAndJobControllers() {
        webhook.use(Mode.ENFORCE);
        double inheritedBefore = inherited("privileged", "CronJob");
        CronJob cronJob = Workloads.everyMinute(OWN_CRONJOB, "backup");
        cronJob.getMetadata().setAnnotations(Map.of("safeguard.dev/exempt", "privileged",
                "safeguard.dev/exempt-reason", "snapshots the node's block devices, see PLAT-77"));
        cronJob.getSpec().getJobTemplate().getSpec().getTemplate().getSpec().getContainers().get(0)
                .setSecurityContext(new SecurityContextBuilder().withPrivileged(true).build());
        CronJob created = client.resource(cronJob).create();
        missedTheLastRun(OWN_CRONJOB, "backup");

        Job job = await("the cronjob controller creating backup's Job").atMost(Duration.ofSeconds(75))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> Workloads.controlledBy(client.batch().v1().jobs().inNamespace(OWN_CRONJOB).list().getItems(), created),
                        list -> !list.isEmpty()).get(0);
        awaitPods(OWN_CRONJOB, job, 1, Duration.ofSeconds(30));

        // The Job (cronjob controller) and its Pod (job controller) inherit the CronJob's exemption.
        assertThat(await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                .until(() -> inherited("privileged", "CronJob"), count -> count >= inheritedBefore + 2))
                .isEqualTo(inheritedBefore + 2);
    }

    /** A policy in {@code mode} with these spec lines after the mode (namespace entries, dated rules, grantors). */
    static String rolloutPolicy(String mode, String spec) {
        return """
                apiVersion: safeguard.dev/v1alpha1
                kind: SafeguardPolicy
                metadata: {name: e2e-rollout}
                spec:
                  mode: %s
                  exclude:
                    namespaces: [%s]
                %s""".formatted(mode, Webhook.EXCLUDED_NAMESPACE, spec.indent(2));
    }

    /** Creates (or updates) namespace {@code name} with these labels. */
    static void labelledNamespace(String name, Map<String, String> labels) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).withLabels(labels)
                .endMetadata().build()).serverSideApply();
    }

    @Test
    @Order(21)
    void perNamespacePolicyTeamAEnforcesWhileTeamBAuditsTheSameDeploymentAndMetricsCarryTheTeam() {
        labelledNamespace("e2e-team-a", Map.of("team", "a"));
        labelledNamespace("e2e-team-b", Map.of("team", "b"));
        // The namespaces' labels come from the webhook's informer: the policy's entries select team=a by label.
        webhook.usePolicy(rolloutPolicy("audit", """
                teamLabel: team
                namespaces:
                  - name: team-a
                    selector: {matchLabels: {team: a}}
                    mode: enforce
                """));
        String before = webhook.metrics();

        KubernetesClientException refused = refused(() -> create(Manifests.careless("e2e-team-a", "web")));
        assertThat(refused.getStatus().getMessage()).startsWith(DENIED_PREFIX + "Deployment e2e-team-a/web violates 4");
        Deployment admitted = create(Manifests.careless("e2e-team-b", "web"));
        assertThat(admitted.getMetadata().getUid()).isNotBlank();
        assertThat(WARNINGS.safeguard()).anyMatch(w -> w.startsWith("[image-tag] (audit mode, would deny) "));

        String after = webhook.metrics();
        for (String rule : Manifests.CARELESS_DENIED) {
            assertThat(delta(before, after, "safeguard_admission_rejections_total", "rule=\"" + rule + "\"",
                    "namespace=\"e2e-team-a\"", "team=\"a\"")).as("rejections of " + rule + " for team a").isEqualTo(1);
            assertThat(delta(before, after, "safeguard_admission_would_denials_total", "rule=\"" + rule + "\"",
                    "kind=\"Deployment\"", "namespace=\"e2e-team-b\"", "team=\"b\""))
                    .as("would-denies of " + rule + " for team b").isEqualTo(1);
        }
    }

    @Test
    @Order(22)
    void datedEnforcementWarnsWithTheDateAheadAndDeniesOnceItHasPassed() {
        labelledNamespace("e2e-dated", Map.of());
        // The packaged webhook runs on the real clock: the same rules dated ten days ahead, then dated yesterday.
        Instant ahead = Instant.now().plus(10, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
        Instant passed = Instant.now().minus(1, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
        webhook.usePolicy(rolloutPolicy("enforce", dated(ahead)));
        Deployment admitted = create(Manifests.careless("e2e-dated", "early"));
        assertThat(admitted.getMetadata().getUid()).isNotBlank();
        assertThat(WARNINGS.safeguard()).anyMatch(w -> w.startsWith("[image-tag] (would deny; denied from " + ahead
                + ", in 10 days) "));
        assertThat(Webhook.sample(webhook.metrics(), "safeguard_policy_scheduled_enforcement_timestamp_seconds",
                "rule=\"image-tag\"", "scope=\"cluster\"")).isEqualTo(ahead.getEpochSecond());

        webhook.usePolicy(rolloutPolicy("enforce", dated(passed)));
        KubernetesClientException refused = refused(() -> create(Manifests.careless("e2e-dated", "late")));
        assertThat(refused.getStatus().getMessage()).startsWith(DENIED_PREFIX + "Deployment e2e-dated/late violates 4")
                .doesNotContain("would deny");
    }

    /** Every rule the careless Deployment breaks at deny level, denying from {@code from}. */
    static String dated(Instant from) {
        StringBuilder rules = new StringBuilder("rules:\n");
        for (String rule : Manifests.CARELESS_DENIED) {
            rules.append("  - {id: ").append(rule).append(", action: deny, enforceFrom: \"").append(from).append("\"}\n");
        }
        return rules.toString();
    }

    @Test
    @Order(23)
    void onlyAGrantorMayExemptAndAnExpiredExemptionNoLongerCounts() {
        labelledNamespace("e2e-grants", Map.of());
        // Both users may write Deployments (RBAC); only carol's group may grant exemptions (the policy).
        client.resource(new ClusterRoleBindingBuilder().withNewMetadata()
                .withName("e2e-grant-testers").endMetadata()
                .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", "cluster-admin")
                .addNewSubject().withKind("Group").withApiGroup("rbac.authorization.k8s.io").withName("e2e-grant-testers")
                .endSubject().build()).serverSideApply();
        webhook.usePolicy(rolloutPolicy("enforce", """
                exemptions:
                  maxDays: 30
                  grantors: {groups: [e2e-platform-admins]}
                """));
        String until = Instant.now().plus(7, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS).toString();
        double refusedBefore = Webhook.sample(webhook.metrics(), "safeguard_exemption_grants_total", "outcome=\"refused\"");

        try (KubernetesClient bob = as("bob", "e2e-grant-testers");
                KubernetesClient carol = as("carol", "e2e-grant-testers", "e2e-platform-admins")) {
            KubernetesClientException refused = catchThrowableOfType(KubernetesClientException.class,
                    () -> bob.resource(exempted("e2e-grants", "by-bob", until)).create());
            assertThat(refused).as("bob's exemption refused").isNotNull();
            assertThat(refused.getStatus().getMessage()).startsWith(DENIED_PREFIX + "Deployment e2e-grants/by-bob")
                    .contains("[exemption-grant] 'bob' may not grant exemptions")
                    .contains("only groups [e2e-platform-admins] may");
            assertThat(Webhook.sample(webhook.metrics(), "safeguard_exemption_grants_total", "outcome=\"refused\""))
                    .isEqualTo(refusedBefore + 1);

            Deployment granted = carol.resource(exempted("e2e-grants", "by-carol", until)).create();
            assertThat(granted.getMetadata().getUid()).isNotBlank();
            // The deployment controller copies the exemption onto the ReplicaSet: a controller grants nothing itself.
            awaitReplicaSet("e2e-grants", granted);

            String ended = Instant.now().minus(1, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS).toString();
            KubernetesClientException expired = catchThrowableOfType(KubernetesClientException.class,
                    () -> carol.resource(exempted("e2e-grants", "ended", ended)).create());
            assertThat(expired).as("an exemption that has ended is refused").isNotNull();
            assertThat(expired.getStatus().getMessage()).contains("[image-tag] ")
                    .contains("[safeguard.dev/exempt-until] expired on " + ended);
        }
    }

    /** The careless Deployment exempting itself from every rule it breaks at deny level, until {@code until}. */
    static Deployment exempted(String namespace, String name, String until) {
        Deployment deployment = Manifests.careless(namespace, name);
        deployment.getMetadata().setAnnotations(Map.of("safeguard.dev/exempt", String.join(",", Manifests.CARELESS_DENIED),
                "safeguard.dev/exempt-reason", "vendor image, replacement tracked in PLAT-90",
                "safeguard.dev/exempt-until", until));
        return deployment;
    }

    /** A client that impersonates {@code user} in {@code groups}, as kubectl --as/--as-group does. */
    static KubernetesClient as(String user, String... groups) {
        // A copy: the shared client's config must keep acting as the cluster's admin.
        Config config = new ConfigBuilder(cluster.clientConfig()).withRequestRetryBackoffLimit(0)
                .withImpersonateUsername(user).withImpersonateGroups(groups).build();
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    /** The exempted node agent: hostPath and hostNetwork (so hostPorts too), on the Nodes {@link Nodes} makes. */
    static DaemonSet nodeAgent(String namespace) {
        DaemonSet agent = Workloads.daemonSet(namespace, "node-agent");
        agent.getMetadata().setAnnotations(Map.of("safeguard.dev/exempt", "host-path, host-namespaces, host-ports",
                "safeguard.dev/exempt-reason", "reads node metrics from /proc on the node's network, see PLAT-51"));
        PodSpec spec = agent.getSpec().getTemplate().getSpec();
        spec.setHostNetwork(true);
        spec.getVolumes().add(new VolumeBuilder().withName("proc").withNewHostPath().withPath("/proc").endHostPath().build());
        spec.getContainers().get(0).getVolumeMounts()
                .add(new VolumeMountBuilder().withName("proc").withMountPath("/host/proc").withReadOnly(true).build());
        return agent;
    }

    /** The one ReplicaSet the deployment controller creates for {@code owner}. */
    static ReplicaSet awaitReplicaSet(String namespace, Deployment owner) {
        return await("the deployment controller creating " + owner.getMetadata().getName() + "'s ReplicaSet")
                .atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> Workloads.controlledBy(client.apps().replicaSets().inNamespace(namespace).list().getItems(), owner),
                        list -> list.size() == 1).get(0);
    }

    /**
     * The cronjob controller starts a schedule it missed at once: say the last run was two minutes ago, and it
     * creates the Job of the latest minute now instead of at the start of the next minute (up to 60 s away).
     */
    static void missedTheLastRun(String namespace, String name) {
        String twoMinutesAgo = Instant.now().minus(2, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS).toString();
        client.batch().v1().cronjobs().inNamespace(namespace).withName(name).editStatus(cronJob -> {
            if (cronJob.getStatus() == null) {
                cronJob.setStatus(new CronJobStatus());
            }
            cronJob.getStatus().setLastScheduleTime(twoMinutesAgo);
            return cronJob;
        });
    }

    double inherited(String rule, String ownerKind) {
        return Webhook.sample(webhook.metrics(), "safeguard_inherited_violations_total", "rule=\"" + rule + "\"",
                "owner_kind=\"" + ownerKind + "\"");
    }

    static double delta(String before, String after, String name, String... labels) {
        return Webhook.sample(after, name, labels) - Webhook.sample(before, name, labels);
    }

    /** Waits until exactly {@code count} Pods in {@code namespace} are controlled by {@code owner}. */
    static List<Pod> awaitPods(String namespace, HasMetadata owner, int count, Duration atMost) {
        return await(count + " Pods of " + owner.getKind() + " " + namespace + "/" + owner.getMetadata().getName())
                .atMost(atMost).pollInterval(Duration.ofMillis(200))
                .until(() -> Workloads.controlledBy(client.pods().inNamespace(namespace).list().getItems(), owner),
                        list -> list.size() == count);
    }

    /**
     * What the webhook is shown of a controller's Pod beyond its template: API defaults and the API server's mutating
     * admission plugins (DefaultTolerationSeconds: tolerations; Priority: priority; the ServiceAccount plugin, which
     * would add serviceAccountName and a token volume, is off in kube-api-test) run before validating webhooks.
     */
    static void printAsAdmitted(Pod pod, PodSpec template) {
        PodSpec spec = pod.getSpec();
        System.out.printf("[e2e] Pod %s as stored and shown to the webhook: serviceAccountName=%s, volumes=%s, tolerations=%s, "
                        + "priority=%s, preemptionPolicy=%s, enableServiceLinks=%s, schedulerName=%s (template: volumes=%s, "
                        + "tolerations=%s)%n",
                pod.getMetadata().getName(), spec.getServiceAccountName(),
                spec.getVolumes().stream().map(Volume::getName).toList(),
                spec.getTolerations().stream().map(t -> t.getKey() + ":" + t.getEffect() + "/" + t.getTolerationSeconds()).toList(),
                spec.getPriority(), spec.getPreemptionPolicy(), spec.getEnableServiceLinks(), spec.getSchedulerName(),
                template.getVolumes().stream().map(Volume::getName).toList(),
                template.getTolerations().stream().map(t -> t.getKey() + ":" + t.getEffect()).toList());
    }

    /** Pod CREATEs the webhook has counted (not dry-run), whatever the decision. */
    double podCreates() {
        return requestsSum("kind=\"Pod\"", "operation=\"CREATE\"", "dry_run=\"false\"");
    }

    /**
     * Every admission request for a Deployment the webhook has counted, whatever the other labels. (Only
     * Deployments: controllers keep creating ReplicaSets and Pods, here and elsewhere.)
     */
    double deploymentRequests() {
        return requestsSum("kind=\"Deployment\"");
    }

    /** The sum of every safeguard_admission_requests_total sample carrying all {@code labels}. */
    double requestsSum(String... labels) {
        return webhook.metrics().lines()
                .filter(l -> l.startsWith("safeguard_admission_requests_total{") && Arrays.stream(labels).allMatch(l::contains))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    private static String[] concat(String[] labels, String more) {
        String[] all = Arrays.copyOf(labels, labels.length + 1);
        all[labels.length] = more;
        return all;
    }
}
