package chaos

import (
	"context"
	"fmt"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/zdt-dev/zdt/scenarios/faults"
)

// evictionError makes the eviction API refuse every eviction of the workloads' pods while the
// fault lasts, with a ValidatingAdmissionPolicy on pods/eviction in the app namespace (the API
// server answers 403, not a PDB's 429): drains retry until it ends. The policy and its binding
// are named after the fault and removed by the undo.
func evictionError(ctx context.Context, env *Env, f *faults.Fault) (Injection, error) {
	name := "zdt-fault-" + dnsLabel(f.Name)
	fail := admissionv1.Fail
	policy := &admissionv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: ownedLabels()},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: &fail,
			MatchConstraints: &admissionv1.MatchResources{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": env.AppNamespace}},
				ResourceRules: []admissionv1.NamedRuleWithOperations{{RuleWithOperations: admissionv1.RuleWithOperations{
					Operations: []admissionv1.OperationType{admissionv1.Create},
					Rule:       admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods/eviction"}},
				}}},
			},
			Validations: []admissionv1.Validation{{
				Expression: "false",
				Message:    fmt.Sprintf("zdt fault %s: evictions are refused while it lasts", f.Name),
			}},
		},
	}
	binding := &admissionv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: ownedLabels()},
		Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        name,
			ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny},
		},
	}
	api := env.Client.AdmissionregistrationV1()
	if _, err := api.ValidatingAdmissionPolicies().Create(ctx, policy, metav1.CreateOptions{}); err != nil {
		return Injection{}, fmt.Errorf("create ValidatingAdmissionPolicy %s: %w", name, err)
	}
	undo := func(ctx context.Context) error {
		errB := ignoreNotFound(api.ValidatingAdmissionPolicyBindings().Delete(ctx, name, metav1.DeleteOptions{}))
		errP := ignoreNotFound(api.ValidatingAdmissionPolicies().Delete(ctx, name, metav1.DeleteOptions{}))
		if errB != nil || errP != nil {
			return fmt.Errorf("remove ValidatingAdmissionPolicy %s: %v %v", name, errB, errP)
		}
		return nil
	}
	if _, err := api.ValidatingAdmissionPolicyBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		return Injection{}, fmt.Errorf("create ValidatingAdmissionPolicyBinding %s: %w (%v)", name, err, undo(context.WithoutCancel(ctx)))
	}
	return Injection{Msg: fmt.Sprintf("evictions in namespace %s refused by ValidatingAdmissionPolicy %s", env.AppNamespace, name), Undo: undo}, nil
}
