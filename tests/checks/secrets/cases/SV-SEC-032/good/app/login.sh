docker login -p dckr_pat_
