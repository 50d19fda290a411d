"""scikit-learn's estimator API suite over every sewlearn estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sewlearn import SEWRegressor

# Cheap settings: the API checks fit on a few hundred samples many times.
_FAST = dict(
    weak_hidden_layer_sizes=(16,),
    strong_hidden_layer_sizes=(8,),
    latent_dim=8,
    regressor_hidden_layer_sizes=(16,),
    n_cca_components=2,
    optimizer="adam",
    lr=1e-2,
    max_epochs=30,
    random_state=0,
)


def _tested_estimators():
    yield SEWRegressor(**_FAST)


def _expected_failed_checks(estimator):
    return {}


@parametrize_with_checks(
    list(_tested_estimators()), expected_failed_checks=_expected_failed_checks
)
def test_estimators(estimator, check):
    check(estimator)
