/**
 * The manifest's vocabulary: what a model folder's manifest.json says, as types. Read and checked
 * by manifest.ts; the kinds (kinds/) and the layout read it.
 */
export type Dtype = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'string';
export type FeatureType = 'float' | 'int' | 'bool' | 'category' | 'vector' | 'string' | 'tensor' | 'text';
export type OutputKindName = 'value' | 'class' | 'vector' | 'tensor';

export interface TensorSpec {
  name: string;
  dtype: Dtype;
  /**
   * The batch axis first (a name when dynamic; 1 when the model fixes it to one row), then a name for
   * a sequence axis if it has one, then each fixed axis's length.
   */
  shape: [string | 1, ...(number | string)[]];
}

export interface FeatureSpec {
  name: string;
  description: string;
  type: FeatureType;
  tensor?: string;
  column?: number;
  unit: string;
  min?: number;
  max?: number;
  maxExclusive?: boolean;
  default?: number | boolean | string | number[];
  values?: string[];
  valueDescriptions?: Record<string, string>;
  encoding?: 'index' | 'onehot' | 'string';
  codes?: Record<string, number | string>;
  enum?: string;
  length?: number;
  maxLength?: number;
  /** tensor: the row's axes, e.g. [24, 3] for a [batch, 24, 3] input. */
  shape?: number[];
  /** text: the most tokens one text may take, special tokens included (default: the tokenizer's model_max_length). */
  maxTokens?: number;
  /** text: what a longer text gets: refused (default) or truncated to maxTokens (its prediction says so). */
  overflow?: 'refuse' | 'truncate';
  /** text: the attention-mask input it also feeds (default "attention_mask", when the model has it). */
  attentionMask?: string;
  /** text: the token-type input it also feeds, with zeros (default "token_type_ids", when the model has it). */
  tokenTypeIds?: string;
}

export interface OutputSpec {
  name: string;
  description: string;
  kind: OutputKindName;
  tensor?: string;
  column?: number;
  unit: string;
  labels?: string[];
  labelDescriptions?: Record<string, string>;
  scores?: 'probabilities' | 'logits' | 'sigmoid' | 'none';
  /** class: the output holding the model's own label per row (string or integer). */
  labelTensor?: string;
  /** class: the model's label of each class, in label order, when they are not the enum values themselves. */
  modelLabels?: (string | number)[];
  enum?: string;
  probabilitiesField?: string;
  length?: number;
  /** tensor: the output row's axes, e.g. [4, 2] for a [batch, 4, 2] output. */
  shape?: number[];
  /** vector: how a [batch, sequence, hidden] output becomes one vector per row: the mean over the tokens, the first token's, the max. */
  pooling?: 'mean' | 'cls' | 'max';
  /** vector: scale the vector to length 1 (L2). */
  normalize?: boolean;
}

/** Overrides of the generated GraphQL names of a task (see the schema). */
export interface GraphQLNames {
  predict?: string;
  predictMany?: string;
  input?: string;
  prediction?: string;
}

export interface ModelManifest {
  name: string;
  version: string;
  task: string;
  default: boolean;
  description: string;
  framework: string;
  kind: string;
  graphql: GraphQLNames;
  tensors: { inputs?: TensorSpec[]; outputs?: TensorSpec[] };
  features: FeatureSpec[];
  outputs: OutputSpec[];
  metrics: Record<string, unknown>;
  provenance: Record<string, unknown>;
  /** A model with a text feature: the most padded tokens (rows × the run's longest row) in one run (TEI's max_batch_tokens). */
  maxBatchTokens?: number;
}
