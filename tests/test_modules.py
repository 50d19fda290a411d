"""sewlearn._modules: the SEW and Deep CCA networks."""

import torch

from sewlearn._modules import DeepCCAModule, DeployedSEW, SEWModule


def _sew_module(**changes):
    params = dict(
        n_weak=6,
        n_strong={"strong": 5},
        n_outputs=1,
        weak_hidden=(16,),
        strong_hidden={"strong": (8,)},
        latent_dim=8,
        activation="tanh",
        head="mlp",
        head_hidden=(8,),
        build_translator=True,
        build_strong_encoder=True,
        build_strong_decoder=True,
    )
    return SEWModule(**{**params, **changes})


def test_ey_projections_are_k_wide():
    module = _sew_module(align_dim=3)
    out = module(torch.randn(32, 6), strong=torch.randn(32, 5))
    branch = out["strong"]["strong"]
    assert branch["strong_projection"].shape == (32, 3)
    assert branch["weak_projection"].shape == (32, 3)


def test_head_keeps_the_papers_name_and_the_state_dict_keys():
    # The estimators' parameter is ``head``; the block stays R, ``regressor``,
    # so that saved state_dict keys keep their names.
    for kind in ("mlp", "gru"):
        module = _sew_module(head=kind, head_hidden=(8, 8))
        deployed = DeployedSEW(module.weak_encoder, module.regressor)
        prefixes = {key.split(".")[0] for key in deployed.state_dict()}
        assert prefixes == {"weak_encoder", "regressor"}
    assert sum(1 for _ in module.regressor.grus) == 2


def test_blocks_of_zero_weight_losses_are_not_built():
    module = _sew_module(build_translator=False, build_strong_decoder=False)
    branch = module.strong["strong"]
    assert branch.translator is None and branch.decoder is None
    assert branch.encoder is not None
    assert not hasattr(branch, "strong_projection")


def test_deployed_sew_has_no_dead_encode():
    # The estimators call module_.weak_encoder directly; encode() was unused.
    assert not hasattr(DeployedSEW, "encode")


def test_deepcca_module_encodes_each_view():
    module = DeepCCAModule(
        n_features_x=3,
        n_features_y=2,
        x_hidden=(5,),
        y_hidden=(),
        latent_dim=4,
        activation="relu",
    )
    out = module(torch.randn(7, 3), torch.randn(7, 2))
    assert out["x_code"].shape == (7, 4) and out["y_code"].shape == (7, 4)
