//! **The model table**: every model and transformer of the library, one line each, in
//! `tidewater list` order. From it come the `Any*` enums, their `From` impls, the dispatch,
//! the `list` catalogue and the checkpoint tags (see `generate.rs`).
//!
//! A line is `tag => Variant(Model, Params)`. The tag is the variant's number in saved
//! models: never change or reuse one, take the next free number of the group (checkpoints
//! of every release must keep loading; `tests/fixtures/checkpoints/`). Adding a model is
//! its own file in its family's crate, that crate's `lib.rs`, and one line here.

use super::generate::model_table;
use super::*;
use crate::bayes::*;
use crate::cluster::*;
use crate::linear::*;
use crate::preprocessing::*;
use crate::trees::*;
use tidewater_core::dummy::*;

model_table! {$
    classifiers {
        0 => GaussianNB(GaussianNB, GaussianNBParams),
        1 => Prior(PriorClassifier, PriorClassifierParams),
        2 => NoChange(NoChangeClassifier, NoChangeClassifierParams),
        3 => LogisticRegression(LogisticRegression, LogisticRegressionParams),
        4 => SoftmaxRegression(SoftmaxRegression, SoftmaxRegressionParams),
        5 => Ftrl(Ftrl, FtrlParams),
        6 => PAClassifier(PAClassifier, PAClassifierParams),
        7 => Perceptron(Perceptron, PerceptronParams),
        8 => MultinomialNB(MultinomialNB, MultinomialNBParams),
        9 => BernoulliNB(BernoulliNB, BernoulliNBParams),
        10 => HoeffdingTree(HoeffdingTreeClassifier, HoeffdingTreeClassifierParams),
        11 => DecisionTree(DecisionTreeClassifier, DecisionTreeClassifierParams),
        12 => RandomForest(RandomForestClassifier, RandomForestClassifierParams),
        13 => HoeffdingAdaptiveTree(HoeffdingAdaptiveTreeClassifier, HoeffdingAdaptiveTreeClassifierParams),
        14 => AdaptiveRandomForest(AdaptiveRandomForestClassifier, AdaptiveRandomForestClassifierParams),
        15 => Efdt(ExtremelyFastDecisionTreeClassifier, ExtremelyFastDecisionTreeClassifierParams),
    }
    regressors {
        0 => Mean(MeanRegressor, MeanRegressorParams),
        1 => LinearRegression(LinearRegression, LinearRegressionParams),
        2 => Ridge(Ridge, RidgeParams),
        3 => PARegressor(PARegressor, PARegressorParams),
        4 => DecisionTreeRegressor(DecisionTreeRegressor, DecisionTreeRegressorParams),
        5 => RandomForestRegressor(RandomForestRegressor, RandomForestRegressorParams),
        6 => HoeffdingTreeRegressor(HoeffdingTreeRegressor, HoeffdingTreeRegressorParams),
        7 => HoeffdingAdaptiveTreeRegressor(HoeffdingAdaptiveTreeRegressor, HoeffdingAdaptiveTreeRegressorParams),
        8 => AdaptiveRandomForestRegressor(AdaptiveRandomForestRegressor, AdaptiveRandomForestRegressorParams),
    }
    transformers {
        0 => StandardScaler(StandardScaler, StandardScalerParams),
        1 => MinMaxScaler(MinMaxScaler, MinMaxScalerParams),
        2 => MaxAbsScaler(MaxAbsScaler, MaxAbsScalerParams),
        3 => RobustScaler(RobustScaler, RobustScalerParams),
        4 => Normalizer(Normalizer, NormalizerParams),
        5 => AdaptiveStandardScaler(AdaptiveStandardScaler, AdaptiveStandardScalerParams),
        6 => KBinsDiscretizer(KBinsDiscretizer, KBinsDiscretizerParams),
        7 => Pca(Pca, PcaParams),
        8 => IncrementalPca(IncrementalPca, IncrementalPcaParams),
        9 => Passthrough(Passthrough, PassthroughParams),
    }
    clusterers {
        0 => KMeans(KMeans, KMeansParams),
        1 => MiniBatchKMeans(MiniBatchKMeans, MiniBatchKMeansParams),
        2 => CluStream(CluStream, CluStreamParams),
        3 => DBStream(DBStream, DBStreamParams),
    }
    union 10
    records {
        StatImputer(StatImputerParams),
        PreviousImputer(PreviousImputerParams),
        OneHot(OneHotEncoderParams),
        Ordinal(OrdinalEncoderParams),
        Hasher(FeatureHasherParams),
        BagOfWords(BagOfWordsParams),
        TfIdf(TfIdfParams),
        Select(SelectParams),
    }
}
