//! What the model table (`table.rs`) generates: the `Any*` enums with their checkpoint tags
//! and `From` impls, the dispatch of the role traits over them, `From` into a pipeline
//! [`Component`](super::Component), and the catalogue entries. Nothing here names a model.

/// Expands the model table. The first token is `$` (it lets the table write the dispatch
/// macros `each_classifier!`, `each_regressor!`, `each_transformer!`, `each_clusterer!`).
macro_rules! model_table {
    ($d:tt
        classifiers {
            $( $ctag:literal => $cvar:ident($cmodel:ty, $cparams:ty) ),* $(,)?
        }
        regressors {
            $( $rtag:literal => $rvar:ident($rmodel:ty, $rparams:ty) ),* $(,)?
        }
        transformers {
            $( $ttag:literal => $tvar:ident($tmodel:ty, $tparams:ty) ),* $(,)?
        }
        clusterers {
            $( $ktag:literal => $kvar:ident($kmodel:ty, $kparams:ty) ),* $(,)?
        }
        union $utag:literal
        records {
            $( $svar:ident($sparams:ty) ),* $(,)?
        }
    ) => {
        tidewater_core::tagged_enum! {$d
            /// Any classifier of the library (saved with its tag from the model table).
            pub enum AnyClassifier as each_classifier {
                $( #[doc = concat!("[`", stringify!($cmodel), "`].")] $ctag => $cvar($cmodel), )*
            }
        }

        tidewater_core::tagged_enum! {$d
            /// Any regressor of the library (saved with its tag from the model table).
            pub enum AnyRegressor as each_regressor {
                $( #[doc = concat!("[`", stringify!($rmodel), "`].")] $rtag => $rvar($rmodel), )*
            }
        }

        tidewater_core::tagged_enum! {$d
            /// Any transformer of the library (saved with its tag from the model table).
            pub enum AnyTransformer as each_transformer {
                $( #[doc = concat!("[`", stringify!($tmodel), "`].")] $ttag => $tvar($tmodel), )*
                /// A [`TransformerUnion`] of transformers side by side.
                $utag => Union(TransformerUnion<AnyTransformer>),
            }
        }

        tidewater_core::tagged_enum! {$d
            /// Any clusterer of the library (saved with its tag from the model table).
            pub enum AnyClusterer as each_clusterer {
                $( #[doc = concat!("[`", stringify!($kmodel), "`].")] $ktag => $kvar($kmodel), )*
            }
        }

        $( impl From<$kmodel> for Component {
            fn from(m: $kmodel) -> Self {
                Component::Clusterer(m.into())
            }
        } )*
        $( impl From<$cmodel> for Component {
            fn from(m: $cmodel) -> Self {
                Component::Classifier(m.into())
            }
        } )*
        $( impl From<$rmodel> for Component {
            fn from(m: $rmodel) -> Self {
                Component::Regressor(m.into())
            }
        } )*
        $( impl From<$tmodel> for Component {
            fn from(m: $tmodel) -> Self {
                Component::Transformer(m.into())
            }
        } )*

        impl Classifier for AnyClassifier {
            fn classes(&self) -> &ClassSet {
                each_classifier!(self, m => m.classes())
            }
            fn prefetch(&self, x: Row<'_>) {
                each_classifier!(self, m => m.prefetch(x))
            }
            fn n_features(&self) -> Option<usize> {
                each_classifier!(self, m => m.n_features())
            }
            fn check_row(&self, x: Row<'_>) -> Result<()> {
                each_classifier!(self, m => m.check_row(x))
            }
            fn learn_one(&mut self, x: Row<'_>, y: &Label, weight: Option<f64>) -> Result<()> {
                each_classifier!(self, m => m.learn_one(x, y, weight))
            }
            fn set_nominal_features(&mut self, nominal: &[usize]) {
                each_classifier!(self, m => m.set_nominal_features(nominal))
            }
            fn structure(&self, feature_names: &[String]) -> Option<Structure> {
                each_classifier!(self, m => m.structure(feature_names))
            }
            fn check_learning(&self) -> Result<()> {
                each_classifier!(self, m => m.check_learning())
            }
            fn learn_many(
                &mut self,
                x: Batch<'_>,
                y: &[Label],
                weights: Option<&[f64]>,
            ) -> Result<()> {
                each_classifier!(self, m => m.learn_many(x, y, weights))
            }
            fn predict_then_learn(
                &mut self,
                x: Row<'_>,
                y: &Label,
                weight: Option<f64>,
                out: &mut [f64],
            ) -> Result<Option<Label>> {
                each_classifier!(self, m => m.predict_then_learn(x, y, weight, out))
            }
            fn predict_proba_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
                each_classifier!(self, m => m.predict_proba_into(x, out))
            }
            fn predict_one(&self, x: Row<'_>) -> Result<Option<Label>> {
                each_classifier!(self, m => m.predict_one(x))
            }
        }

        impl Regressor for AnyRegressor {
            fn n_features(&self) -> Option<usize> {
                each_regressor!(self, m => m.n_features())
            }
            fn prefetch(&self, x: Row<'_>) {
                each_regressor!(self, m => m.prefetch(x))
            }
            fn check_row(&self, x: Row<'_>) -> Result<()> {
                each_regressor!(self, m => m.check_row(x))
            }
            fn learn_one(&mut self, x: Row<'_>, y: f64, weight: Option<f64>) -> Result<()> {
                each_regressor!(self, m => m.learn_one(x, y, weight))
            }
            fn set_nominal_features(&mut self, nominal: &[usize]) {
                each_regressor!(self, m => m.set_nominal_features(nominal))
            }
            fn structure(&self, feature_names: &[String]) -> Option<Structure> {
                each_regressor!(self, m => m.structure(feature_names))
            }
            fn check_learning(&self) -> Result<()> {
                each_regressor!(self, m => m.check_learning())
            }
            fn learn_many(
                &mut self,
                x: Batch<'_>,
                y: &[f64],
                weights: Option<&[f64]>,
            ) -> Result<()> {
                each_regressor!(self, m => m.learn_many(x, y, weights))
            }
            fn predict_one(&self, x: Row<'_>) -> Result<f64> {
                each_regressor!(self, m => m.predict_one(x))
            }
        }

        impl Transformer for AnyTransformer {
            fn n_features_in(&self) -> Option<usize> {
                each_transformer!(self, m => m.n_features_in())
            }
            fn n_features_out(&self) -> Option<usize> {
                each_transformer!(self, m => m.n_features_out())
            }
            fn feature_names_out(&self, input: &[String]) -> Vec<String> {
                each_transformer!(self, m => m.feature_names_out(input))
            }
            fn check_row(&self, x: Row<'_>) -> Result<()> {
                each_transformer!(self, m => m.check_row(x))
            }
            fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
                each_transformer!(self, m => m.learn_one(x, weight))
            }
            fn learn_many(&mut self, x: Batch<'_>, weights: Option<&[f64]>) -> Result<()> {
                each_transformer!(self, m => m.learn_many(x, weights))
            }
            fn transform_one(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
                each_transformer!(self, m => m.transform_one(x, out))
            }
        }

        impl Clusterer for AnyClusterer {
            fn n_features(&self) -> Option<usize> {
                each_clusterer!(self, m => m.n_features())
            }
            fn n_clusters(&self) -> usize {
                each_clusterer!(self, m => m.n_clusters())
            }
            fn check_row(&self, x: Row<'_>) -> Result<()> {
                each_clusterer!(self, m => m.check_row(x))
            }
            fn check_learning(&self) -> Result<()> {
                each_clusterer!(self, m => m.check_learning())
            }
            fn learn_one(&mut self, x: Row<'_>, weight: Option<f64>) -> Result<()> {
                each_clusterer!(self, m => m.learn_one(x, weight))
            }
            fn learn_many(&mut self, x: Batch<'_>, weights: Option<&[f64]>) -> Result<()> {
                each_clusterer!(self, m => m.learn_many(x, weights))
            }
            fn predict_then_learn(
                &mut self,
                x: Row<'_>,
                weight: Option<f64>,
                scratch: &mut Vec<f64>,
            ) -> Result<Option<(usize, f64)>> {
                each_clusterer!(self, m => m.predict_then_learn(x, weight, scratch))
            }
            fn predict_one(&self, x: Row<'_>) -> Result<Option<usize>> {
                each_clusterer!(self, m => m.predict_one(x))
            }
            fn distances_into(&self, x: Row<'_>, out: &mut [f64]) -> Result<()> {
                each_clusterer!(self, m => m.distances_into(x, out))
            }
        }

        /// Every component of the table, in `list` order: classifiers, regressors,
        /// transformers (the union after them), clusterers, then the steps of the record
        /// stage.
        pub(super) fn table_entries() -> Vec<Entry> {
            vec![
                $( model_entry::<$cparams, $cmodel>(Role::Classifier), )*
                $( model_entry::<$rparams, $rmodel>(Role::Regressor), )*
                $( model_entry::<$tparams, $tmodel>(Role::Transformer), )*
                union_entry(),
                $( model_entry::<$kparams, $kmodel>(Role::Clusterer), )*
                $( {
                    fn build(spec: &Spec) -> Result<Component> {
                        Ok(Component::Record(RecordStepParams::$svar(
                            <$sparams as Params>::from_spec(spec)?,
                        )))
                    }
                    fn fit(spec: &Spec, _: &Dataset) -> Result<Component> {
                        build(spec)
                    }
                    Entry::of::<$sparams>(Role::Transformer, true, build, fit)
                }, )*
            ]
        }
    };
}
pub(super) use model_table;
