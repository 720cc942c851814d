//! Building a [`ModelConfig`] from what a stage kind's params say about the
//! model (family, depth, width, …) and what the data set says (vocabulary,
//! classes, length).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    GruConfig, LinearRnnConfig, LstmConfig, LstmImpl, MlpConfig, ModelConfig, PosEncoding,
    TransformerConfig,
};

/// A model family. Matched exhaustively everywhere, so a new family is a
/// compile error until every place that depends on the family handles it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Transformer,
    Lstm,
    Gru,
    Mlp,
    LinearRnn,
}

impl Family {
    pub const ALL: [Family; 5] = [
        Family::Transformer,
        Family::Lstm,
        Family::Gru,
        Family::Mlp,
        Family::LinearRnn,
    ];

    /// The name in params and `model.json`.
    pub fn name(self) -> &'static str {
        match self {
            Family::Transformer => "transformer",
            Family::Lstm => "lstm",
            Family::Gru => "gru",
            Family::Mlp => "mlp",
            Family::LinearRnn => "linear_rnn",
        }
    }
}

/// The model as a kind's params describe it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelShape {
    pub family: Family,
    /// Layers L.
    pub layers: usize,
    /// Hidden width d.
    pub width: usize,
    /// Attention heads (transformer).
    pub heads: usize,
    /// Positional encoding (transformer).
    pub pos: PosEncoding,
    /// Dropout (transformer).
    pub dropout: f64,
    /// Prepend a beginning-of-sequence token (transformer).
    pub bos: bool,
    /// Feed-forward width; `None`: 4 × width (transformer).
    pub d_ff: Option<usize>,
    /// Gate range [-1, 1] (linear RNN).
    pub negative_eigenvalues: bool,
}

/// What the data set fixes about a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataShape {
    pub vocab: usize,
    pub n_classes: usize,
    /// The longest sequence the model must read.
    pub length: usize,
    /// The length a model with parameters per position (the MLP) is built
    /// for, when a data set trains on a shorter window than it tests.
    pub fixed_window: Option<usize>,
}

impl ModelConfig {
    /// The model `shape` describes, sized for `data`.
    pub fn for_data(shape: &ModelShape, data: &DataShape) -> ModelConfig {
        let (vocab, n_classes) = (data.vocab, data.n_classes);
        let (width, depth) = (shape.width, shape.layers);
        match shape.family {
            Family::Transformer => ModelConfig::Transformer(TransformerConfig {
                width,
                depth,
                heads: shape.heads,
                pos: shape.pos,
                dropout: shape.dropout,
                bos: shape.bos,
                d_ff: shape.d_ff,
                max_len: data.length,
                ..TransformerConfig::new(vocab, n_classes)
            }),
            Family::Lstm => ModelConfig::Lstm(LstmConfig {
                width,
                depth,
                dropout: 0.0,
                implementation: LstmImpl::default(),
                ..LstmConfig::new(vocab, n_classes)
            }),
            Family::Gru => ModelConfig::Gru(GruConfig {
                width,
                depth,
                dropout: 0.0,
                ..GruConfig::new(vocab, n_classes)
            }),
            // Without weight sharing over time the MLP has parameters per
            // position: a data set may build it for its training window only
            // (`fixed_window`, the protein crop) rather than the test length.
            Family::Mlp => ModelConfig::Mlp(MlpConfig {
                width,
                depth,
                ..MlpConfig::new(vocab, n_classes, data.fixed_window.unwrap_or(data.length))
            }),
            Family::LinearRnn => ModelConfig::LinearRnn(LinearRnnConfig {
                width,
                depth,
                negative_eigenvalues: shape.negative_eigenvalues,
                ..LinearRnnConfig::new(vocab, n_classes)
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The configs are the ones the `train` kind built from JSON before
    /// (`model.json` bytes are part of its outputs).
    #[test]
    fn configs_match_the_json_they_replace() {
        let data = DataShape {
            vocab: 3,
            n_classes: 5,
            length: 40,
            fixed_window: Some(16),
        };
        let shape = ModelShape {
            family: Family::Transformer,
            layers: 2,
            width: 32,
            heads: 4,
            pos: PosEncoding::Rope,
            dropout: 0.1,
            bos: false,
            d_ff: None,
            negative_eigenvalues: true,
        };
        let cases = [
            (
                Family::Transformer,
                r#"{"family":"transformer","vocab":3,"n_classes":5,"depth":2,"width":32,"heads":4,"pos":"rope","dropout":0.1,"max_len":40}"#,
            ),
            (
                Family::Lstm,
                r#"{"family":"lstm","vocab":3,"n_classes":5,"depth":2,"width":32}"#,
            ),
            (
                Family::Gru,
                r#"{"family":"gru","vocab":3,"n_classes":5,"depth":2,"width":32}"#,
            ),
            (
                Family::Mlp,
                r#"{"family":"mlp","vocab":3,"n_classes":5,"depth":2,"width":32,"max_len":16}"#,
            ),
            (
                Family::LinearRnn,
                r#"{"family":"linear_rnn","vocab":3,"n_classes":5,"depth":2,"width":32,"negative_eigenvalues":true}"#,
            ),
        ];
        for (family, json) in cases {
            let want: ModelConfig = serde_json::from_str(json).unwrap();
            let got = ModelConfig::for_data(&ModelShape { family, ..shape }, &data);
            assert_eq!(
                serde_json::to_string_pretty(&got).unwrap(),
                serde_json::to_string_pretty(&want).unwrap()
            );
            assert_eq!(got.family(), family.name());
        }
    }

    /// `bos` and `d_ff` reach the Transformer's config (and `model.json`);
    /// the other families have neither.
    #[test]
    fn bos_and_d_ff_reach_the_transformer_only() {
        let data = DataShape {
            vocab: 2,
            n_classes: 2,
            length: 16,
            fixed_window: None,
        };
        let shape = ModelShape {
            family: Family::Transformer,
            layers: 1,
            width: 32,
            heads: 4,
            pos: PosEncoding::None,
            dropout: 0.0,
            bos: true,
            d_ff: Some(48),
            negative_eigenvalues: false,
        };
        let want: ModelConfig = serde_json::from_str(
            r#"{"family":"transformer","vocab":2,"n_classes":2,"depth":1,"width":32,"heads":4,"pos":"none","d_ff":48,"max_len":16,"bos":true}"#,
        )
        .unwrap();
        assert_eq!(ModelConfig::for_data(&shape, &data), want);
        let lstm = ModelConfig::for_data(
            &ModelShape {
                family: Family::Lstm,
                ..shape
            },
            &data,
        );
        let json = serde_json::to_string(&lstm).unwrap();
        assert!(!json.contains("bos") && !json.contains("d_ff"), "{json}");
    }
}
