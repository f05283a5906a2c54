/**
 * The manifest's vocabulary: what a model folder's manifest.json says, as types. Read and checked
 * by manifest.ts; the kinds (kinds/) and the layout read it.
 */
export type Dtype = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'string';
export type FeatureType = 'float' | 'int' | 'bool' | 'category' | 'vector' | 'string' | 'tensor';
export type OutputKindName = 'value' | 'class' | 'vector' | 'tensor';

export interface TensorSpec {
  name: string;
  dtype: Dtype;
  /** The batch axis first (a name when dynamic; 1 when the model fixes it to one row), then each row axis's length. */
  shape: [string | 1, ...number[]];
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
}
