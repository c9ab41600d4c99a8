// Public entry point of the tokenizers: import from 'engine/data/tokenize'.

export { ByteTokenizer, BYTE_VOCAB_SIZE } from './byte';
export { BpeTokenizer, trainBpe, MAX_BPE_VOCAB } from './bpe';
export { Gpt2Tokenizer, GPT2_VOCAB_SIZE, loadGpt2Tokenizer } from './gpt2';
export { GPT2_SPLIT_PATTERN, splitChunks } from './pretokenize';
export { unigramEntropy } from './stats';
export {
  loadTokenizer,
  parseTokenizerJson,
  tokenizerFromJSON,
  tokenizerJsonSchema,
  TOKENIZER_KINDS,
  type Tokenizer,
  type TokenizerJson,
  type TokenizerKind,
} from './tokenizer';
