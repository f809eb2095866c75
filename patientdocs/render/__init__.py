"""The pipeline from inputs to PDF bytes: context, template, blocks, PDF. No I/O."""
